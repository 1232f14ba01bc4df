import Foundation
import SignetTestSupport
import Testing

/// `--json` on every command of the CA host, read by a JSON parser as a script would: one document on
/// stdout, numbers as numbers, absent values as null, never human text or raw DER. (The client
/// commands' JSON — request, renew, profiles, revoke over HTTP, sign, bootstrap — is read the same way
/// in ClientInteropTests.)
@Suite struct JSONOutputTests {
    @Test("every host command prints one JSON document with --json: numbers are numbers, absent values null")
    func everyCommand() throws {
        let work = TestEnvironment.temporaryDirectory("json")
        let audit = AuditTestHome(home: work + "/home", work: work)
        func json(_ arguments: [String]) throws -> Any {
            let result = try audit.signet(arguments + ["--json"])
            do {
                let value = try JSONSerialization.jsonObject(with: Data(result.stdout), options: [.fragmentsAllowed])
                #expect(emptyStrings(in: value).isEmpty, "signet \(arguments.joined(separator: " ")) --json: absent values must be null or left out, not \"\": \(emptyStrings(in: value))")
                return value
            } catch {
                Issue.record("signet \(arguments.joined(separator: " ")) --json did not print JSON: \(result.output.prefix(300))")
                return [String: Any]()
            }
        }
        func object(_ arguments: [String]) throws -> [String: Any] {
            let value = try json(arguments)
            guard let object = value as? [String: Any] else {
                Issue.record("signet \(arguments.joined(separator: " ")) --json: expected an object, got \(type(of: value))")
                return [:]
            }
            return object
        }
        func array(_ arguments: [String]) throws -> [[String: Any]] {
            let value = try json(arguments)
            guard let array = value as? [[String: Any]] else {
                Issue.record("signet \(arguments.joined(separator: " ")) --json: expected an array of objects, got \(type(of: value))")
                return []
            }
            return array
        }
        /// The keys whose value is an empty string, anywhere in `value`.
        func emptyStrings(in value: Any, at path: String = "") -> [String] {
            switch value {
            case let string as String: return string.isEmpty ? [path] : []
            case let object as [String: Any]: return object.flatMap { emptyStrings(in: $0.value, at: path + "." + $0.key) }
            case let array as [Any]: return array.enumerated().flatMap { emptyStrings(in: $0.element, at: path + "[\($0.offset)]") }
            default: return []
            }
        }
        func isNumber(_ value: Any?) -> Bool { value is NSNumber && !(value is String) }

        let initialized = try object(["init", "--profiles", TestEnvironment.profilesDirectory, "--crl-dir", work + "/crl"])
        #expect((initialized["authorities"] as? [Any])?.count == 4)

        let (csr, _) = try OpenSSL.makeCSR("ec:P-256", in: work)
        let issued = try object(["issue", "--profile", "prerelease-codesign", "--csr", csr, "--team", "platform-security"])
        let serial = try #require(issued["serial"] as? String)
        #expect(try array(["list"]).contains { $0["serial"] as? String == serial && $0["team"] as? String == "platform-security" })
        let shown = try object(["show", serial])
        // The same shape as the API's GET /api/v1/certificates/<serial>: the record's fields and the PEM under `certificate`.
        #expect(shown["status"] as? String == "valid" && shown["certificate"] as? String == issued["certificate"] as? String, "\(shown)")
        #expect(try object(["revoke", serial, "--reason", "superseded"])["status"] as? String == "revoked")

        // The root names itself as its issuer (it is self-signed), not an empty string.
        #expect(try array(["list", "--profile", "root-ca"]).first?["issuer"] as? String == "root-ca-1")

        let crls = try array(["crl", "publish"])
        #expect(!crls.isEmpty && crls.allSatisfy { isNumber($0["number"]) && isNumber($0["entries"]) }, "\(crls)")

        let checkpoint = try object(["audit", "checkpoint"])
        #expect(checkpoint["signed"] as? Bool == true && isNumber(checkpoint["sequence"]), "\(checkpoint)")
        let again = try object(["audit", "checkpoint"])
        #expect(again["signed"] as? Bool == false && again["sequence"] as? Int == checkpoint["sequence"] as? Int, "\(again)")
        #expect(isNumber(try object(["audit", "verify"])["entries"]))
        #expect(try array(["audit", "show", "--limit", "3"]).count == 3)
        #expect(try object(["inventory"])["authorities"] is [Any])
        #expect(try object(["report"])["activity"] is [Any])

        let exported = try object(["ca", "export", "root"])
        #expect((exported["pem"] as? String)?.hasPrefix("-----BEGIN CERTIFICATE-----") == true && exported["path"] is NSNull, "\(exported)")
        #expect(exported["fingerprint"] as? String == (try object(["ca", "fingerprint"])["fingerprint"] as? String))
        #expect(try object(["config", "check"])["valid"] as? Bool == true)

        let token = try object(["token", "create", "--role", "auditor", "--name", "json-test", "--expires", "never"])
        #expect(token["expires_at"] is NSNull && token["team"] is NSNull, "absent values are null, not empty strings: \(token)")
        let id = try #require(token["id"] as? String)
        #expect(try array(["token", "list"]).contains { $0["id"] as? String == id && $0["revoked_at"] is NSNull })
        let revoked = try object(["token", "revoke", id])
        #expect(revoked["id"] as? String == id && revoked["revoked_at"] is String, "\(revoked)")

        #expect(try object(["release-key", "--release", "v1.0.0", "--team", "platform-security"])["certificate"] is String)
        #expect(try object(["rotate", "--issuer", "issuing-ca-1"])["actions"] is [Any])
    }
}
