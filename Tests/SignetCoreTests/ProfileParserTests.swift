import Foundation
@testable import SignetCore
import Testing
import X509

@Suite struct ProfileParserTests {
    static let profilesDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Profiles"
    }()

    static let valid = """
        name: test
        kind: code-signing
        issuer: issuing-ca
        key:
          source: csr
          algorithms: [ec-p256, rsa-3072]
        validity:
          default: 24h
          max: 7d
        subject:
          organizational_unit: "{team}"
          common_name: "{requester}"
        key_usage: [digitalSignature]
        extended_key_usage: [codeSigning]
        certificate_policies: [1.3.6.1.4.1.32473.1.1]
        access:
          roles: [developer]
          teams: [payments, search]
        """

    @Test("the shipped profiles parse and form a valid set")
    func shippedProfiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.profilesDirectory).filter { $0.hasSuffix(".yaml") && $0 != CIIdentityPolicyParser.fileName }
        let profiles = try files.map { name in
            try ProfileParser.parse(yaml: String(contentsOfFile: Self.profilesDirectory + "/" + name, encoding: .utf8), file: "Profiles/" + name)
        }
        let set = try ProfileSet(profiles)
        let codesign = try set.profile(named: "prerelease-codesign")
        #expect(codesign.kind == .codeSigning)
        #expect(codesign.defaultValidity == .hours(24))
        #expect(codesign.maxValidity == .days(7))
        #expect(codesign.extendedKeyUsage == [.codeSigning])
        #expect(!codesign.keyAlgorithms.contains(.rsa2048))
        #expect(try set.profile(named: "timestamping").extendedKeyUsageCritical)
        #expect(try set.profile(named: "root-ca").isSelfSigned)
        #expect(try set.profile(named: "ci-release").keySource == .hsm)
    }

    @Test("a valid profile parses into typed values")
    func validProfile() throws {
        let profile = try ProfileParser.parse(yaml: Self.valid, file: "dir/test.yaml")
        #expect(profile.keyAlgorithms == [.ecP256, .rsa3072])
        #expect(profile.allowedRoles == [.developer])
        #expect(profile.allowedTeams.allows("payments"))
        #expect(!profile.allowedTeams.allows("billing"))
        #expect(!profile.allowedTeams.allows(nil))
        #expect(profile.policies.map(\.description) == ["1.3.6.1.4.1.32473.1.1"])
    }

    /// Each broken variant must be refused with the file, the line of the offending key and a reason.
    @Test("broken profiles are refused with file, line and reason", arguments: [
        ("validity:\n  default: 24h\n  max: 7d", "validity:\n  default: 30d\n  max: 7d", ":8:", "exceeds validity.max"),
        ("algorithms: [ec-p256, rsa-3072]", "algorithms: [ec-p256, rsa-2048]", ":6:", "3072-bit minimum"),
        ("algorithms: [ec-p256, rsa-3072]", "algorithms: [ec-p256, dsa-1024]", ":6:", "unknown key algorithm 'dsa-1024'"),
        ("kind: code-signing", "kind: codesigning", ":2:", "kind 'codesigning'"),
        ("key_usage: [digitalSignature]", "key_usage: [digitalSignature, keyCertSign]", ":13:", "only CA profiles"),
        ("extended_key_usage: [codeSigning]", "extended_key_usage: [codeSigning, timeStamping]", ":14:", "exactly extended_key_usage [codeSigning]"),
        ("common_name: \"{requester}\"", "common_name: \"{requestor}\"", ":12:", "unknown placeholder {requestor}"),
        ("  roles: [developer]", "  roles: [developer, root]", ":17:", "unknown role 'root'"),
        ("certificate_policies: [1.3.6.1.4.1.32473.1.1]", "certificate_policies: [not-an-oid]", ":15:", "is not a dotted OID"),
        ("issuer: issuing-ca", "issuer: issuing-ca\nvaliditty: 3d", ":4:", "unknown key 'validitty'"),
        ("  max: 7d", "  max: 40", ":9:", "Expected a duration"),
        ("name: test", "name: other", ":1:", "must match the file name"),
        ("key_usage: [digitalSignature]", "key_usage: [digitalSignature]\n  - broken: [", "line 14", "did not find expected key"),
    ])
    func brokenProfile(original: String, replacement: String, line: String, reason: String) throws {
        let yaml = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(yaml != Self.valid, "fixture did not apply")
        do {
            _ = try ProfileParser.parse(yaml: yaml, file: "dir/test.yaml")
            Issue.record("accepted a broken profile: \(replacement)")
        } catch let error as SignetError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.reason.hasPrefix("dir/test.yaml"), "\(error.reason)")
            #expect(error.reason.contains(line), "\(error.reason)")
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test("a profile set refuses dangling issuers and missing shipped profiles")
    func profileSetChecks() throws {
        let leaf = try ProfileParser.parse(yaml: Self.valid, file: "test.yaml")
        #expect { try ProfileSet([leaf], requireShipped: false) } throws: { ($0 as? SignetError)?.reason.contains("issuer 'issuing-ca' is not a loaded profile") == true }
        #expect { try ProfileSet([], requireShipped: true) } throws: { ($0 as? SignetError)?.code == .invalidConfiguration }
    }
}

@Suite struct ValueParsingTests {
    @Test("durations", arguments: [("24h", 86_400), ("7d", 604_800), ("1d12h", 129_600), ("90s", 90), ("1y", 31_536_000), ("2w", 1_209_600),
                                    (" 24h", 86_400), ("24h\t", 86_400), ("\u{00A0}1d ", 86_400)])
    func durations(text: String, seconds: Int64) throws {
        #expect(try ValidityDuration(parsing: text).seconds == seconds)
    }

    @Test("bad durations", arguments: ["", "24", "h", "-1d", "1x", "0h", "99999999999999999999y", "1.5h",
                                       "\u{0662}\u{0664}h", "２４h", "24ｈ", "24 h", "24h\n"])
    func badDurations(text: String) {
        #expect(throws: SignetError.self) { try ValidityDuration(parsing: text) }
    }

    @Test("revocation reasons parse by name or number; hold is refused")
    func reasons() throws {
        #expect(try RevocationReason(parsing: "keyCompromise") == .keyCompromise)
        #expect(try RevocationReason(parsing: "superseded") == .superseded)
        #expect(try RevocationReason(parsing: "5") == .cessationOfOperation)
        #expect(throws: SignetError.self) { try RevocationReason(parsing: "certificateHold") }
        #expect(throws: SignetError.self) { try RevocationReason(parsing: "stolen") }
    }

    @Test("team and release names")
    func names() {
        #expect(throws: Never.self) { try NameRules.validateTeam("payments-eu.2") }
        #expect(throws: SignetError.self) { try NameRules.validateTeam("Payments") }
        #expect(throws: SignetError.self) { try NameRules.validateTeam("pay ments") }
        #expect(throws: SignetError.self) { try NameRules.validateTeam("") }
        #expect(throws: Never.self) { try NameRules.validateRelease("v2.4.0-rc.1+build.7") }
        #expect(throws: SignetError.self) { try NameRules.validateRelease("../etc") }
    }

    @Test("hex round-trips and rejects junk")
    func hex() {
        #expect([0x00, 0xab, 0x10].hexString == "00ab10")
        #expect(Hex.decode("00AB10") == [0x00, 0xab, 0x10])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("") == nil)
    }
}

@Suite struct SubjectTemplateTests {
    @Test("placeholders fill in order around literal text, repeated ones too; filled values are never expanded again")
    func rendering() throws {
        let template = try SubjectTemplate(fields: [
            (.commonName, "{team} build of {release} by {requester} ({team})"), (.organization, "Signet"), (.organizationalUnit, "{profile}"),
        ])
        let subject = try template.render(.init(team: "payments", requester: "ci-{team}", release: "1.2", profile: "prerelease"))
        #expect(subject.description == "CN=payments build of 1.2 by ci-{team} (payments),OU=prerelease,O=Signet")
        #expect(template.usedPlaceholders == ["team", "release", "requester", "profile"])
        // A placeholder without a value, and a value past the RFC 5280 upper bound, are refused.
        #expect { try template.render(.init(team: "payments", requester: "ci", profile: "p")) } throws: { ($0 as? SignetError)?.code == .policyRefused }
        #expect { try template.render(.init(team: String(repeating: "t", count: 40), requester: "ci", release: "1", profile: "p")) } throws: {
            ($0 as? SignetError)?.code == .policyRefused
        }
        #expect { try SubjectTemplate(fields: [(.commonName, "{team")]) } throws: { ($0 as? SignetError)?.code == .invalidConfiguration }
        #expect { try SubjectTemplate(fields: [(.commonName, "{owner}")]) } throws: { ($0 as? SignetError)?.code == .invalidConfiguration }
    }
}
