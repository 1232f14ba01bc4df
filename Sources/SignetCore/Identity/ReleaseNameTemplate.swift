/// How a rule names the release a job may make keys for, from its identity: `{tag}` is the tag of a
/// `refs/tags/…` ref (`v2.0.0`), `{ref_name}` the branch or tag name, `{sha}` and `{short_sha}` the
/// commit (full, first 8), `{run_id}` the run, `{environment}` the deployment environment. Text
/// around placeholders is kept: `nightly-{short_sha}`. The result must be a valid release name
/// (``NameRules/validateRelease(_:)``); an identity that lacks a placeholder's value gets no release.
public struct ReleaseNameTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Placeholder: String, Sendable, Hashable, CaseIterable {
        case tag
        case refName = "ref_name"
        case sha
        case shortSHA = "short_sha"
        case runID = "run_id"
        case environment

        func value(in identity: WorkloadIdentity) -> String? {
            switch self {
            case .tag: return identity.tag
            case .refName: return identity.refName
            case .sha: return identity.sha
            case .shortSHA: return identity.sha.map { String($0.prefix(8)) }
            case .runID: return identity.runID
            case .environment: return identity.environment
            }
        }
    }

    enum Part: Hashable {
        case text(String)
        case placeholder(Placeholder)
    }

    public let text: String
    let parts: [Part]

    public init(_ text: String) throws {
        var parts: [Part] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    throw SignetError.malformed("Unclosed { in release template \(SignetError.quote(text))")
                }
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                guard let placeholder = Placeholder(rawValue: name) else {
                    throw SignetError.malformed("Unknown placeholder {\(name)} in release template; use \(Placeholder.allCases.map { "{\($0.rawValue)}" }.joined(separator: ", "))")
                }
                parts.append(.placeholder(placeholder))
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(of: "{") ?? rest.endIndex
                let literal = String(rest[..<end])
                guard !literal.contains("}"), literal.unicodeScalars.allSatisfy({ $0.isASCII && (("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._+-".unicodeScalars.contains($0)) }) else {
                    throw SignetError.malformed("Release template \(SignetError.quote(text)): text outside placeholders may hold only letters, digits and . _ + -")
                }
                parts.append(.text(literal))
                rest = rest[end...]
            }
        }
        guard !parts.isEmpty, text.utf8.count <= 128 else {
            throw SignetError.malformed("Expected a release template of 1-128 characters, such as {tag}")
        }
        self.text = text
        self.parts = parts
    }

    public var description: String { text }

    /// The release name for `identity`, or why there is none.
    public func render(_ identity: WorkloadIdentity) -> Result<String, SignetError> {
        var name = ""
        for part in parts {
            switch part {
            case .text(let literal): name += literal
            case .placeholder(let placeholder):
                guard let value = placeholder.value(in: identity) else {
                    return .failure(.refused("The job has no {\(placeholder.rawValue)} (ref \(identity.ref ?? "none")), so release template \(text) names no release"))
                }
                name += value
            }
        }
        do {
            try NameRules.validateRelease(name)
        } catch let error as SignetError {
            return .failure(.refused("Release template \(text) gives \(SignetError.quote(name)), which is not a release name: \(error.reason)"))
        } catch {
            return .failure(.refused("\(error)"))
        }
        return .success(name)
    }
}
