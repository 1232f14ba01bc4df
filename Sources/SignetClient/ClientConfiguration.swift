import Foundation
import SignetCore
import X509
import Yams

/// What `signet ca bootstrap` learnt and every later client command starts from: Signet's URL and the
/// root certificate whose fingerprint the user checked. One YAML file, written whole (write-then-
/// rename), at `$SIGNET_CONFIG` (a file, or a directory holding `config.yaml`), else
/// `$XDG_CONFIG_HOME/signet/config.yaml`, else `~/.config/signet/config.yaml`. The root is in the file
/// itself, so the URL and the trust that goes with it cannot come apart.
public struct ClientConfiguration: Sendable, Equatable {
    public var url: String
    public var root: Certificate

    public init(url: String, root: Certificate) {
        self.url = url
        self.root = root
    }

    public var rootFingerprint: String { Fingerprint.sha256(root) }

    /// The file's contents.
    struct Document: Codable {
        var url: String
        var rootFingerprint: String
        var root: String

        enum CodingKeys: String, CodingKey {
            case url
            case rootFingerprint = "root_fingerprint"
            case root
        }
    }

    /// Where the configuration lives for `environment`.
    public static func path(environment: [String: String]) throws -> String {
        if let explicit = environment["SIGNET_CONFIG"], !explicit.isEmpty {
            var isDirectory: ObjCBool = false
            if explicit.hasSuffix("/") || (FileManager.default.fileExists(atPath: explicit, isDirectory: &isDirectory) && isDirectory.boolValue) {
                return (explicit.hasSuffix("/") ? String(explicit.dropLast()) : explicit) + "/config.yaml"
            }
            return explicit
        }
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/signet/config.yaml"
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw SignetError.configuration("Cannot tell where the client configuration lives: set SIGNET_CONFIG, XDG_CONFIG_HOME or HOME")
        }
        return home + "/.config/signet/config.yaml"
    }

    /// The configuration at `path`, or nil when there is none (never bootstrapped).
    public static func load(from path: String) throws -> ClientConfiguration? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let document: Document
        do {
            document = try YAMLDecoder().decode(Document.self, from: String(decoding: data, as: UTF8.self))
        } catch {
            throw SignetError.configuration("\(path) is not a Signet client configuration (\(error)); run `signet ca bootstrap` again")
        }
        let root: Certificate
        do { root = try Certificate(pemEncoded: document.root) } catch {
            throw SignetError.configuration("\(path): the root is not a PEM certificate; run `signet ca bootstrap` again")
        }
        // The file is the trust anchor: one edited by hand (or damaged) must not be believed.
        guard Fingerprint.sha256(root) == document.rootFingerprint.lowercased() else {
            throw SignetError(.verificationFailed, "\(path): the root's fingerprint is not the one recorded at bootstrap; run `signet ca bootstrap` again")
        }
        return ClientConfiguration(url: document.url, root: root)
    }

    /// The file's text, the root as a literal block so that it reads as the PEM it is.
    public func yaml() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        // A JSON string is a valid YAML double-quoted scalar, whatever the URL holds.
        let quotedURL = String(decoding: try encoder.encode(url), as: UTF8.self)
        let block = PEM.encode(root.derBytes).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        return """
            # Written by `signet ca bootstrap`: Signet's URL and the root whose SHA-256 fingerprint was checked.
            url: \(quotedURL)
            root_fingerprint: \(rootFingerprint)
            root: |
            \(block)

            """
    }

    /// Writes the configuration to `path` whole, creating its directory (mode 0700) if needed.
    public func save(to path: String) throws {
        let directory = FilePathName.directory(of: path)
        if directory != "." {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SignetError(.storage, "Cannot create \(directory): \(error.localizedDescription)")
            }
        }
        try OutputFiles.write([.init(path: path, bytes: Array(try yaml().utf8), mode: 0o644)], overwrite: true)
    }
}
