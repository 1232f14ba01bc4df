import Foundation
@testable import SignetPKCS11
import Testing

/// The module's configuration: the SIGNET_PKCS11_CONFIG file, the environment, and what wins.
@Suite struct ConfigurationTests {
    /// Files by path for `load`; anything else does not exist.
    static func reader(_ files: [String: String]) -> (String) throws -> [UInt8] {
        { path in
            guard let text = files[path] else { throw FileReader.Failure(description: "No such file or directory") }
            return Array(text.utf8)
        }
    }

    static let rootPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    @Test("a file: comments, blank lines, CRLF, blanks around '=', every key")
    func file() throws {
        let text = "# Signet for the payments pipeline\r\n\r\nurl = https://signet.example:8443/\r\n  token_file=/run/signet/token  \r\nroot = /etc/signet/root.pem\r\nrelease = v2.0.0+build.7\r\ntimeout = 12\r\n"
        let configuration = try ModuleConfiguration.load(environment: ["SIGNET_PKCS11_CONFIG": "/etc/signet/pkcs11.conf", "SIGNET_URL": "http://ignored:1", "SIGNET_TOKEN": "sgt_ignored"],
                                                         readFile: Self.reader(["/etc/signet/pkcs11.conf": text, "/etc/signet/root.pem": Self.rootPEM]))
        #expect(configuration == ModuleConfiguration(baseURL: "https://signet.example:8443", bearer: .tokenFile("/run/signet/token"),
                                                     rootFile: "/etc/signet/root.pem", release: "v2.0.0+build.7", timeoutSeconds: 12))
    }

    @Test("the environment alone, and filling in what the file leaves out")
    func environment() throws {
        let plain = try ModuleConfiguration.load(environment: ["SIGNET_URL": "http://127.0.0.1:8080", "SIGNET_TOKEN": "sgt_abc_def", "SIGNET_PKCS11_DEBUG": "1"],
                                                 readFile: Self.reader([:]))
        #expect(plain == ModuleConfiguration(baseURL: "http://127.0.0.1:8080", bearer: .token("sgt_abc_def"), debug: true))
        let mixed = try ModuleConfiguration.load(environment: ["SIGNET_PKCS11_CONFIG": "/c", "SIGNET_URL": "http://env:1", "SIGNET_TOKEN": "sgt_env"],
                                                 readFile: Self.reader(["/c": "release = v1\n"]))
        #expect(mixed == ModuleConfiguration(baseURL: "http://env:1", bearer: .token("sgt_env"), release: "v1"))
        // A token in the file wins over SIGNET_TOKEN.
        let fileToken = try ModuleConfiguration.load(environment: ["SIGNET_PKCS11_CONFIG": "/c", "SIGNET_URL": "http://env:1", "SIGNET_TOKEN": "sgt_env"],
                                                     readFile: Self.reader(["/c": "token = sgt_file\n"]))
        #expect(fileToken.bearer == .token("sgt_file"))
    }

    @Test("refusals name the setting and say what was expected", arguments: [
        ([:], [:], "No Signet URL"),
        (["SIGNET_URL": "http://x"], [:], "No credential"),
        (["SIGNET_URL": "ftp://x", "SIGNET_TOKEN": "t"], [:], "start with http:// or https://"),
        (["SIGNET_URL": "http://", "SIGNET_TOKEN": "t"], [:], "name a host"),
        (["SIGNET_URL": "http://x/?a=b", "SIGNET_TOKEN": "t"], [:], "without blanks, query or fragment"),
        (["SIGNET_URL": "http://x", "SIGNET_TOKEN": "two words"], [:], "printable ASCII without blanks"),
        (["SIGNET_PKCS11_CONFIG": "/missing"], [:], "SIGNET_PKCS11_CONFIG=/missing: cannot be read"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url http://x\n"], "/c line 1: expected 'key = value'"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "# x\nurl = http://x\ntokn = t\n"], "/c line 3: unknown key 'tokn'"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\nurl = http://y\n"], "/c line 2: 'url' is set twice"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url =\n"], "/c line 1: 'url' has no value"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\ntoken = a\ntoken_file = /t\n"], "set one of token, token_file or id_token_file, not token and token_file"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\ntoken_file = /t\nid_token_file = /i\n"], "not token_file and id_token_file"),
        (["SIGNET_URL": "http://x", "ACTIONS_ID_TOKEN_REQUEST_URL": "file:///etc/passwd", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r"], [:], "ACTIONS_ID_TOKEN_REQUEST_URL: expected an http(s) URL"),
        (["SIGNET_URL": "http://x", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh/t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r", "SIGNET_OIDC_AUDIENCE": "two words"], [:], "OIDC audience"),
        (["SIGNET_URL": "http://x", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh/t"], [:], "No credential"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\ntoken = a\nroot = /nope\n"], "root /nope cannot be read"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\ntoken = a\nroot = /c\n"], "root /c is not a PEM file of CA certificates"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\ntoken = a\nrelease = ../etc\n"], "expected a release name"),
        (["SIGNET_PKCS11_CONFIG": "/c"], ["/c": "url = http://x\ntoken = a\ntimeout = 0\n"], "expected timeout in whole seconds from 1 to 600"),
    ] as [([String: String], [String: String], String)])
    func refusals(environment: [String: String], files: [String: String], message: String) {
        #expect {
            try ModuleConfiguration.load(environment: environment, readFile: Self.reader(files))
        } throws: { error in
            (error as? ConfigurationError)?.message.contains(message) == true
        }
    }

    @Test("which credential: the file's, then SIGNET_TOKEN, then SIGNET_ID_TOKEN, then GitHub Actions' request variables with an audience")
    func credentialOrder() throws {
        let url = "http://127.0.0.1:8080"
        let gitHub = ["ACTIONS_ID_TOKEN_REQUEST_URL": "https://runner.example/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"]
        func bearer(_ environment: [String: String], file: String? = nil) throws -> BearerSource {
            let withFile = file == nil ? environment : environment.merging(["SIGNET_PKCS11_CONFIG": "/c"]) { $1 }
            return try ModuleConfiguration.load(environment: withFile.merging(["SIGNET_URL": url]) { $1 }, readFile: Self.reader(file.map { ["/c": $0] } ?? [:])).bearer
        }
        let everything = gitHub.merging(["SIGNET_TOKEN": "sgt_env", "SIGNET_ID_TOKEN": "eyJ.id.token"]) { $1 }
        #expect(try bearer(everything, file: "id_token_file = /var/run/job.jwt\n") == .idTokenFile("/var/run/job.jwt"))
        #expect(try bearer(everything) == .token("sgt_env"))
        #expect(try bearer(everything.filter { $0.key != "SIGNET_TOKEN" }) == .idToken("eyJ.id.token"))
        #expect(try bearer(gitHub) == .gitHubActions(try GitHubIDTokenRequest(url: gitHub["ACTIONS_ID_TOKEN_REQUEST_URL"]!, requestToken: "request-token", audience: "signet")))
        let audience = try bearer(gitHub.merging(["SIGNET_OIDC_AUDIENCE": "https://signet.example"]) { $1 })
        guard case .gitHubActions(let request) = audience else { Issue.record("\(audience)"); return }
        #expect(request.urlWithAudience == "https://runner.example/idtoken?api-version=2.0&audience=https%3A%2F%2Fsignet.example")
        let fromFile = try bearer(gitHub.merging(["SIGNET_OIDC_AUDIENCE": "ignored"]) { $1 }, file: "audience = payments-signet\n")
        #expect(fromFile == .gitHubActions(try GitHubIDTokenRequest(url: gitHub["ACTIONS_ID_TOKEN_REQUEST_URL"]!, requestToken: "request-token", audience: "payments-signet")))
        #expect(try GitHubIDTokenRequest(url: "http://127.0.0.1:1/token", requestToken: "r", audience: "signet").urlWithAudience == "http://127.0.0.1:1/token?audience=signet")
        // Descriptions say where the credential comes from, never what it is.
        for source in [try bearer(everything), try bearer(gitHub), BearerSource.idToken("eyJ.secret.x")] {
            #expect(!source.description.contains("sgt_env") && !source.description.contains("request-token") && !source.description.contains("secret"))
        }
    }

    @Test("an ID token's exp is read from its payload; anything else reads as no expiry, and random input never traps")
    func jwtExpiry() {
        func jwt(_ payload: String) -> String {
            "eyJhbGciOiJSUzI1NiJ9." + Data(payload.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "") + ".c2ln"
        }
        #expect(JWTExpiry.seconds(of: jwt(#"{"iss":"https://token.actions.githubusercontent.com","exp":1767225600,"sub":"repo:a/b:ref:refs/heads/main??"}"#)) == 1_767_225_600)
        #expect(JWTExpiry.seconds(of: jwt(#"{"sub":"x"}"#)) == nil)
        #expect(JWTExpiry.seconds(of: jwt(#"{"exp":"soon"}"#)) == nil)
        #expect(JWTExpiry.seconds(of: "sgt_not_a_jwt") == nil)
        #expect(JWTExpiry.seconds(of: "a.b") == nil)
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        let alphabet = Array("eyJ.-_=+/{}\":,0123456789exp".unicodeScalars)
        for _ in 0..<3_000 {
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...80, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
            _ = JWTExpiry.seconds(of: text)
            _ = JWTExpiry.seconds(of: jwt(text))
        }
    }

    @Test("a token file is read at every use: its first line, trimmed; an empty or unreadable one is refused")
    func tokenFile() throws {
        let source = BearerSource.tokenFile("/t")
        #expect(try source.bearer(readFile: Self.reader(["/t": "sgt_one\n"])) == "sgt_one")
        #expect(try source.bearer(readFile: Self.reader(["/t": "  sgt_two \r\nignored\n"])) == "sgt_two")
        #expect(throws: ConfigurationError.self) { try source.bearer(readFile: Self.reader(["/t": "\n"])) }
        #expect(throws: ConfigurationError.self) { try source.bearer(readFile: Self.reader([:])) }
        #expect(throws: ConfigurationError.self) { try source.bearer(readFile: Self.reader(["/t": "sgt\u{7f}x"])) }
        // Its description never shows a token.
        #expect(BearerSource.token("sgt_secret").description == "a token")
    }

    @Test("no input traps the parser: random bytes and mutations of a valid file either parse or are refused with a message")
    func parserProperty() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        let valid = Array("# c\nurl = http://127.0.0.1:8080\ntoken = sgt_a_b\nrelease = v1\ntimeout = 5\nroot = /r\n".utf8)
        let alphabet = Array("=#\n\r \t/:.url token_file root release timeout\u{0}\u{ff}".utf8)
        for round in 0..<3_000 {
            var input: [UInt8]
            switch round % 3 {
            case 0: input = generator.bytes(Int.random(in: 0...200, using: &generator))
            case 1: input = (0..<Int.random(in: 0...120, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            default:
                input = valid
                for _ in 0..<Int.random(in: 1...6, using: &generator) where !input.isEmpty {
                    let index = Int.random(in: 0..<input.count, using: &generator)
                    switch Int.random(in: 0...2, using: &generator) {
                    case 0: input[index] = UInt8.random(in: 0...255, using: &generator)
                    case 1: input.remove(at: index)
                    default: input.insert(alphabet.randomElement(using: &generator)!, at: index)
                    }
                }
            }
            let bytes = input
            let files: (String) throws -> [UInt8] = { path in
                switch path {
                case "/c": return bytes
                case "/r": return Array(Self.rootPEM.utf8)
                default: throw FileReader.Failure(description: "missing")
                }
            }
            do {
                _ = try ModuleConfiguration.load(environment: ["SIGNET_PKCS11_CONFIG": "/c"], readFile: files)
            } catch {
                #expect(!error.message.isEmpty, "seed \(seed) round \(round)")
            }
        }
    }

    @Test("a file larger than the limit or not UTF-8 is refused")
    func sizeAndEncoding() {
        #expect(throws: ConfigurationError.self) { try ConfigFile.parse([UInt8](repeating: UInt8(ascii: "#"), count: ConfigFile.maximumSize + 1), name: "big") }
        #expect(throws: ConfigurationError.self) { try ConfigFile.parse([0x75, 0x72, 0x6c, 0x3d, 0xff, 0xfe], name: "latin") }
    }
}
