import Foundation
import SignetCore
import Testing

/// The parsers of text that comes from clients and files (query parameters, JSON bodies, headers,
/// config.yaml, OCSP GET paths): every hostile value is a `SignetError` with a message, never a trap.
/// Inputs named "regression" once crashed the server or were found by the fuzz targets in Fuzz/.
@Suite struct InputParsingTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func pairs(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: String(pieces[0]), value: pieces.count > 1 ? String(pieces[1]) : "")
        }
    }

    @Test("regression: a duration whose sum overflows Int64 is refused (9223372036854775807s1s killed the server)", arguments: [
        "9223372036854775807s1s", "9223372036854775807s9223372036854775807s", "292471208677y1y", "1y9223372036854775807s",
        "101y", "36501d", "5218w1s", "3153600001s",
    ])
    func overflowingDurations(text: String) {
        #expect { try ValidityDuration(parsing: text) } throws: { error in
            (error as? SignetError)?.code == .malformedInput && (error as? SignetError)?.reason.contains("at most 100y") == true
        }
    }

    @Test("the longest duration is 100 years, in any spelling")
    func longestDuration() throws {
        #expect(try ValidityDuration(parsing: "100y") == ValidityDuration.maximum)
        #expect(try ValidityDuration(parsing: "99y365d") == ValidityDuration.maximum)
        #expect(try ValidityDuration(parsing: "3153600000s") == ValidityDuration.maximum)
    }

    @Test("error messages quote input cut to 64 characters, with line breaks escaped")
    func quoting() {
        #expect(SignetError.quote("24h") == "'24h'")
        #expect(SignetError.quote("a\nb\u{2028}c\u{0}") == "'a\\nb\\u{2028}c\\0'")
        let long = SignetError.quote(String(repeating: "x", count: 100_000))
        #expect(long.count < 120 && long.hasSuffix("(100000 characters)"))
        #expect(!long.contains("\n"))
    }

    @Test("listing parameters build the query the API and the CLI run")
    func listingParameters() throws {
        let query = try CertificateQuery(
            parameters: Self.pairs("status=valid&team=payments&profile=prerelease-codesign&issuer=issuing-ca-2&release=v1.2+3&limit=50&expiring_within=48h"),
            now: Self.now)
        #expect(query.status == .valid && query.team == "payments" && query.profile == "prerelease-codesign" && query.issuer == "issuing-ca-2")
        #expect(query.limit == 50)
        #expect(query.expiringBefore == Self.now.addingTimeInterval(48 * 3600))
        #expect(try CertificateQuery(parameters: Self.pairs("status=expired"), now: Self.now).expiredAt == Self.now)
        let cursor = CertificateQuery.Cursor(notAfter: 1_790_000_123, serial: "7f01").string
        #expect(try CertificateQuery(parameters: [(name: "after", value: cursor)], now: Self.now).after == cursor)
    }

    @Test("hostile listing parameters are refused with a message naming what was expected", arguments: [
        ("expiring_within=9223372036854775807s1s", "at most 100y"),  // regression: trapped in ValidityDuration
        ("expiring_within=-1d", "Expected a duration"),
        ("limit=0", "from 1 to 1000"), ("limit=1001", "from 1 to 1000"), ("limit=-5", "from 1 to 1000"),
        ("limit=99999999999999999999999", "from 1 to 1000"), ("limit=1e3", "from 1 to 1000"), ("limit=", "from 1 to 1000"),
        ("after=nan_01", "`next` value"), ("after=inf_01", "`next` value"), ("after=-inf_01", "`next` value"),
        ("after=1e400_01", "`next` value"), ("after=1e300_01", "`next` value"), ("after=1_", "`next` value"), ("after=_01", "`next` value"),
        ("after=1_01_02", "`next` value"), ("after=1_zz", "`next` value"), ("after=1_" + String(repeating: "ab", count: 21), "`next` value"),
        ("status=revoked%00", "Unknown status"), ("status=", "Unknown status"),
        ("team=Payments", "team name"), ("team=" + String(repeating: "a", count: 64), "team name"), ("team=a b", "team name"),
        ("profile=../x", "profile name"), ("issuer=issuing ca", "authority name"), ("release=-x", "release name"),
        ("limit=5&limit=6", "more than once"), ("expiring_witin=1d", "Unknown query parameter"),
    ])
    func hostileListingParameters(query: String, expected: String) {
        #expect { try CertificateQuery(parameters: Self.pairs(query), now: Self.now) } throws: { error in
            guard let error = error as? SignetError, error.code == .malformedInput else { return false }
            return error.reason.contains(expected) && error.reason.count < 600 && !error.reason.contains("\n")
        }
    }

    @Test("cursors are what the store wrote: finite times in the years 0000-9999 and serials of at most 20 octets")
    func cursors() {
        #expect(CertificateQuery.Cursor("1790000000.0_7f01")?.serial == "7f01")
        #expect(CertificateQuery.Cursor("1790000000.0_7F01")?.serial == "7f01")
        for text in ["nan_01", "NaN_01", "inf_01", "infinity_01", "-inf_01", "1e400_01", "-1e300_01", "253402300800_01",
                     "1_", "_01", "1__01", String(repeating: "9", count: 200) + "_01"] {
            #expect(CertificateQuery.Cursor(text) == nil, "\(text)")
        }
    }

    @Test("regression: audit parameters; since=300000000y killed the server in the store's Int64(since * 1000)")
    func auditParameters() throws {
        let query = try AuditQuery(parameters: Self.pairs("since=24h&actor=cli:root&action=certificate.issue&after=7&limit=10"), now: Self.now)
        #expect(query.since == Self.now.addingTimeInterval(-86_400) && query.actor == "cli:root" && query.action == "certificate.issue")
        #expect(query.after == 7 && query.limit == 10)
        #expect(try AuditQuery(parameters: [], now: Self.now).limit == 100)
        for (text, expected) in [("since=300000000y", "at most 100y"), ("since=9223372036854775807s1s", "at most 100y"),
                                 ("after=-1", "integer from 0"), ("after=9223372036854775808", "integer from 0"), ("limit=0", "from 1 to 1000"),
                                 ("actor=", "1-256 characters"), ("actor=a%0Ab", "1-256 characters"), ("action=" + String(repeating: "x", count: 257), "1-256"),
                                 ("since=1d&since=2d", "more than once"), ("sinse=1d", "Unknown query parameter")] {
            let pairs = Self.pairs(text).map { (name: $0.name, value: $0.value.replacingOccurrences(of: "%0A", with: "\n")) }
            #expect(throws: SignetError.self, "\(text)") { try AuditQuery(parameters: pairs, now: Self.now) }
            do { _ = try AuditQuery(parameters: pairs, now: Self.now) } catch let error as SignetError {
                #expect(error.reason.contains(expected), "\(text): \(error.reason)")
            } catch {}
        }
    }

    @Test("the store's millisecond conversion saturates instead of trapping")
    func milliseconds() {
        #expect(Date(timeIntervalSince1970: 1.5).clampedMillisecondsSince1970 == 1_500)
        #expect(Date(timeIntervalSince1970: -9.4e15).clampedMillisecondsSince1970 == -62_167_219_200_000)
        #expect(Date(timeIntervalSince1970: 9.4e18).clampedMillisecondsSince1970 == 253_402_300_799_000)
        #expect(Date(timeIntervalSince1970: .infinity).clampedMillisecondsSince1970 == 253_402_300_799_000)
        #expect(Date(timeIntervalSince1970: .nan).clampedMillisecondsSince1970 == 0)
    }

    struct Body: Decodable, Equatable {
        let role: String
        let expiresIn: String?
    }

    @Test("JSON bodies: one object, known keys, typed fields")
    func jsonFields() throws {
        let fields = try JSONFields(parsing: Data(#"{"profile":"p","csr":"x","validity":null,"rotate":true}"#.utf8),
                                    allowed: ["profile", "csr", "validity", "rotate"])
        #expect(try fields.requiredString("profile") == "p")
        #expect(try fields.string("validity") == nil)
        #expect(try fields.bool("rotate") == true)
        #expect(throws: SignetError.self) { try fields.bool("profile") }
        #expect(throws: SignetError.self) { try fields.requiredString("missing") }
        let body = try JSONFields(parsing: Data(#"{"role":"admin","expires_in":"30d"}"#.utf8), allowed: ["role", "expires_in"]).decode(Body.self)
        #expect(body == Body(role: "admin", expiresIn: "30d"))
    }

    @Test("hostile JSON bodies are malformed input", arguments: [
        "", "null", "[]", "\"x\"", "{", "{\"a\":1,}", "{\"unknown\":1}", "{\"role\":1e400}", "{\"role\":\"\\ud800\"}",
        "{\"role\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
        "{\"role\":" + String(repeating: "[", count: 40_000) + "}", "{\"role\":null}", "{\"role\":{\"a\":1}}", "{\"expires_in\":\"1d\"}",
    ])
    func hostileJSON(text: String) {
        #expect(throws: SignetError.self) {
            try JSONFields(parsing: Data(text.utf8), allowed: ["role", "expires_in"]).decode(Body.self)
        }
    }

    @Test("JSON bodies that are not UTF-8 are malformed input")
    func jsonNotUTF8() {
        for bytes: [UInt8] in [[0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d], [0xc0, 0x80], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]] {
            #expect(throws: SignetError.self) { try JSONFields(parsing: Data(bytes), allowed: ["a"]) }
        }
    }

    @Test("bearer credentials: the scheme in any case, spaces and tabs around the token dropped, other schemes refused", arguments: [
        ("Bearer sgt_1_a", "sgt_1_a"), ("bearer sgt_1_a", "sgt_1_a"), ("BEARER \t sgt_1_a \t", "sgt_1_a"),
        ("BeArEr sgt", "sgt"), ("Bearer ", ""), ("Bearer  ", ""),
    ])
    func bearer(header: String, token: String) {
        #expect(BearerCredential.parse(authorization: header) == token)
    }

    @Test("headers that are not bearer credentials give nil", arguments: [
        "", "Bearer", "Bearersgt_1_a", "Basic dXNlcjpwYXNz", "Bearer\tsgt", " Bearer sgt", "Bearér sgt", "B\u{0}arer sgt",
    ])
    func notBearer(header: String) {
        #expect(BearerCredential.parse(authorization: header) == nil)
    }

    @Test("token ids are read from well-formed tokens only")
    func tokenIDs() {
        #expect(APITokens.publicID(of: "sgt_0011aaff_secret") == "0011aaff")
        for text in ["sgt_0011aaf_secret", "sgt_0011aafg_secret", "sgt__x", "sgt_0011aaff", "xyz_0011aaff_s", "sgt_ü011aaff_s", ""] {
            #expect(APITokens.publicID(of: text) == nil, "\(text)")
        }
    }

    @Test("listen addresses", arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:0", "::1", 0), ("localhost:65535", "localhost", 65535), ("0.0.0.0:443", "0.0.0.0", 443),
    ])
    func listen(text: String, host: String, port: Int) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host && address.port == port)
    }

    @Test("bad listen addresses", arguments: [
        "", ":", "8080", "host:", ":8080", "host:65536", "host:-1", "host:+80", "host:99999999999999999999", "host:8080 ", "[]:80",
        "a b:80", "host\n:80", String(repeating: "h", count: 400) + ":80",
    ])
    func badListen(text: String) {
        #expect(throws: SignetError.self) { try ListenAddress(parsing: text) }
    }

    static let config = """
        base_url: http://127.0.0.1:8080
        listen: 127.0.0.1:8080
        profiles_dir: /srv/signet/Profiles
        hsm: {module: /usr/lib/softhsm/libsofthsm2.so, token_label: signet, pin_file: hsm.pin, create_token: true, sessions: 4}
        crl: {dir: crl, next_update: 24h}
        ocsp: {validity: 1h}
        """

    @Test("config.yaml: values Signet would fail on later are refused at load, with the file, the line and the key")
    func configValidation() throws {
        #expect(try SignetConfig.parse(Self.config, file: "config.yaml").hsm.sessions == 4)
        for (from, to, key) in [("listen: 127.0.0.1:8080", "listen: 127.0.0.1:99999", "listen"), ("sessions: 4", "sessions: 0", "hsm.sessions"),
                                ("sessions: 4", "sessions: 100000000", "hsm.sessions"), ("next_update: 24h", "next_update: 9223372036854775807s1s", "crl.next_update"),
                                ("validity: 1h", "validity: soon", "ocsp.validity"), ("base_url: http://127.0.0.1:8080", "base_url: ftp://x", "base_url"),
                                ("base_url: http://127.0.0.1:8080", "base_url: \"http://ca example.test\"", "base_url"),
                                ("token_label: signet", "token_label: \"\"", "hsm"), ("sessions: 4", "sessions: 1e3", "sessions")] {
            let yaml = Self.config.replacingOccurrences(of: from, with: to)
            #expect { try SignetConfig.parse(yaml, file: "/h/config.yaml") } throws: { error in
                guard let error = error as? SignetError else { return false }
                return error.code == .invalidConfiguration && error.reason.hasPrefix("/h/config.yaml:") && error.reason.contains(key)
            }
        }
        // The line of the key a checked value sits at.
        #expect { try SignetConfig.parse(Self.config.replacingOccurrences(of: "next_update: 24h", with: "next_update: soon"), file: "c.yaml") } throws: {
            ($0 as? SignetError)?.reason.hasPrefix("c.yaml:5: crl.next_update") == true
        }
    }

    @Test("config.yaml is read like a profile: an unknown key (a typo) or a duplicate is refused with its line, a wrong type with its line")
    func configStrictKeys() {
        for (from, to, expected) in [
            ("listen: 127.0.0.1:8080", "listn: 127.0.0.1:8080", "c.yaml:2: unknown key 'listn'"),
            ("crl: {dir: crl, next_update: 24h}", "crl: {dir: crl, next_updat: 24h}", "c.yaml:5: unknown key 'next_updat' in crl"),
            ("ocsp: {validity: 1h}", "ocsp: {validity: 1h}\nserver: {max_conections: 5}", "c.yaml:7: unknown key 'max_conections' in server"),
            ("sessions: 4", "sessions: [4]", "c.yaml:4:"),
            ("listen: 127.0.0.1:8080", "listen: [unclosed", "c.yaml: line"),
        ] {
            let yaml = Self.config.replacingOccurrences(of: from, with: to)
            #expect { try SignetConfig.parse(yaml, file: "c.yaml") } throws: { error in
                guard let error = error as? SignetError else { return false }
                return error.code == .invalidConfiguration && error.reason.hasPrefix(expected)
            }
        }
        // Yams refuses a duplicate key itself, naming it.
        #expect { try SignetConfig.parse(Self.config + "\nlisten: 127.0.0.1:9090", file: "c.yaml") } throws: {
            guard let reason = ($0 as? SignetError)?.reason else { return false }
            return reason.hasPrefix("c.yaml:") && reason.contains("duplicate") && reason.contains("'listen'")
        }
        #expect { try SignetConfig.parse("", file: "c.yaml") } throws: { ($0 as? SignetError)?.reason.contains("empty") == true }
    }

    @Test("config.yaml: store is a PostgreSQL URL without a password; a URL with one is refused at its line without repeating it")
    func configStore() throws {
        let config = try SignetConfig.parse(Self.config + "\nstore: postgres://signet@db:5432/ca\nstore_password_file: store.password", file: "c.yaml")
        #expect(config.store == "postgres://signet@db:5432/ca" && config.storePasswordFile == "store.password")
        #expect(try SignetConfig.parse(Self.config, file: "c.yaml").store == nil)
        for (line, expected) in [("store: postgres://signet:hunter22@db/ca", "c.yaml:7: store:"), ("store: sqlite", "c.yaml:7: store:"),
                                 ("store: postgres://signet@db/ca?sslmode=maybe", "c.yaml:7: store:"), ("store_pasword_file: x", "c.yaml:7: unknown key")] {
            #expect { try SignetConfig.parse(Self.config + "\n" + line, file: "c.yaml") } throws: { error in
                guard let reason = (error as? SignetError)?.reason else { return false }
                return reason.hasPrefix(expected) && !reason.contains("hunter22")
            }
        }
    }

    @Test("OCSP GET paths: percent-encoding, base64url and raw base64 all decode; garbage does not", arguments: [
        ("MAMCAQA%3D", [0x30, 0x03, 0x02, 0x01, 0x00]), ("MAMCAQA=", [0x30, 0x03, 0x02, 0x01, 0x00]), ("MAMCAQA", [0x30, 0x03, 0x02, 0x01, 0x00]),
        ("_-8", [0xff, 0xef]), ("%2F%2B8%3d", [0xff, 0xef]),
    ])
    func ocspGET(path: String, der: [UInt8]) {
        #expect(OCSPGETRequest.decode(path) == der)
    }

    @Test("OCSP GET paths that are not base64 decode to nothing", arguments: [
        "", "%", "%4", "%zz", "%%", "!!!!", "A", String(repeating: "A", count: 40_000),
    ])
    func badOCSPGET(path: String) {
        #expect(OCSPGETRequest.decode(path) == nil)
    }
}
