import Foundation
import SignetCore

/// Reads every `*.yaml` in the profiles directory and validates them as a set. The file reading is
/// here; the parsing and checking are Core's ``ProfileParser`` and ``ProfileSet``. The CI identity
/// policy (`ci-identities.yaml`) lives beside the profiles but is not one; ``load(ciIdentitiesIn:)`` reads it.
public enum ProfileLoader {
    public static func load(directory: String) throws -> ProfileSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && $0 != CIIdentityPolicyParser.fileName }.sorted()
        } catch {
            throw SignetError.configuration("Cannot read profiles directory \(directory): \(error.localizedDescription)")
        }
        let profiles = try names.map { name -> Profile in
            let file = directory + "/" + name
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw SignetError.configuration("\(file): cannot be read as UTF-8 text")
            }
            return try ProfileParser.parse(yaml: text, file: file)
        }
        return try ProfileSet(profiles)
    }

    /// The CI identity policy of the profiles directory; no file is a policy without rules (no CI
    /// identity is admitted).
    public static func load(ciIdentitiesIn directory: String) throws -> CIIdentityPolicy {
        let file = directory + "/" + CIIdentityPolicyParser.fileName
        guard FileManager.default.fileExists(atPath: file) else { return CIIdentityPolicy(rules: [], source: file) }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw SignetError.configuration("\(file): cannot be read as UTF-8 text")
        }
        return try CIIdentityPolicyParser.parse(yaml: text, file: file)
    }
}
