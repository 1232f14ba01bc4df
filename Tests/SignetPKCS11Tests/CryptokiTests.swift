import CPKCS11
import Crypto
import Foundation
@testable import SignetPKCS11
import SignetTestSupport
import SwiftASN1
import Testing
import X509

/// The module's functions called in-process, as a C consumer would, against a live `signet serve`:
/// lifecycle, the length and argument conventions, and how Signet's refusals come back.
@Suite(.serialized, .liveSignet("pkcs11-module")) struct CryptokiTests {
    static let objectClass = CK_ULONG(CKA_CLASS)

    /// A client for `token`, initialised.
    static func client(token: String, extra: [String: String] = [:]) throws -> ModuleClient {
        let signet = try LiveSignetScope.signet()
        let client = ModuleClient(["SIGNET_URL": signet.baseURL, "SIGNET_TOKEN": token].merging(extra) { $1 })
        expectRV(client.cryptoki.initialize(nil), CK_ULONG(CKR_OK))
        return client
    }

    static func privateKeys(_ client: ModuleClient, _ session: CK_SESSION_HANDLE) -> [CK_OBJECT_HANDLE] {
        client.find(session, [(objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)))])
    }

    @Test("initialise, information, slots, token and mechanisms, with the two-call convention")
    func lifecycle() async throws {
        let signet = try LiveSignetScope.signet()
        let token = try signet.token(role: "ci", team: "payments", name: "lifecycle")
        let client = ModuleClient(["SIGNET_URL": signet.baseURL, "SIGNET_TOKEN": token])
        let cryptoki = client.cryptoki
        var info = CK_INFO()
        expectRV(cryptoki.getInfo(&info), CK_ULONG(CKR_CRYPTOKI_NOT_INITIALIZED))
        var count: CK_ULONG = 0
        expectRV(cryptoki.getSlotList(CK_BBOOL(CK_TRUE), nil, &count), CK_ULONG(CKR_CRYPTOKI_NOT_INITIALIZED))
        expectRV(cryptoki.initialize(nil), CK_ULONG(CKR_OK))
        expectRV(cryptoki.initialize(nil), CK_ULONG(CKR_CRYPTOKI_ALREADY_INITIALIZED))

        expectRV(cryptoki.getInfo(nil), CK_ULONG(CKR_ARGUMENTS_BAD))
        expectRV(cryptoki.getInfo(&info), CK_ULONG(CKR_OK))
        #expect(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40)
        #expect(withUnsafeBytes(of: info.manufacturerID) { String(decoding: $0, as: UTF8.self) } == "Signet" + String(repeating: " ", count: 26))

        expectRV(cryptoki.getSlotList(CK_BBOOL(CK_TRUE), nil, nil), CK_ULONG(CKR_ARGUMENTS_BAD))
        expectRV(cryptoki.getSlotList(CK_BBOOL(CK_TRUE), nil, &count), CK_ULONG(CKR_OK))
        #expect(count == 1)
        var slot: CK_SLOT_ID = 99
        count = 0
        expectRV(cryptoki.getSlotList(CK_BBOOL(CK_TRUE), &slot, &count), CK_ULONG(CKR_BUFFER_TOO_SMALL))
        #expect(count == 1)
        expectRV(cryptoki.getSlotList(CK_BBOOL(CK_TRUE), &slot, &count), CK_ULONG(CKR_OK))
        #expect(slot == 0)

        var slotInfo = CK_SLOT_INFO()
        expectRV(cryptoki.getSlotInfo(1, &slotInfo), CK_ULONG(CKR_SLOT_ID_INVALID))
        expectRV(cryptoki.getSlotInfo(0, &slotInfo), CK_ULONG(CKR_OK))
        #expect(slotInfo.flags & CK_FLAGS(CKF_TOKEN_PRESENT) != 0)
        var tokenInfo = CK_TOKEN_INFO()
        expectRV(cryptoki.getTokenInfo(0, &tokenInfo), CK_ULONG(CKR_OK))
        #expect(withUnsafeBytes(of: tokenInfo.label) { String(decoding: $0, as: UTF8.self) }.hasPrefix("payments "))
        #expect(tokenInfo.flags & CK_FLAGS(CKF_LOGIN_REQUIRED) == 0 && tokenInfo.flags & CK_FLAGS(CKF_TOKEN_INITIALIZED) != 0)

        var mechanisms = [CK_MECHANISM_TYPE](repeating: 0, count: 2)
        count = 2
        expectRV(cryptoki.getMechanismList(0, &mechanisms, &count), CK_ULONG(CKR_BUFFER_TOO_SMALL))
        #expect(count == 8)
        mechanisms = [CK_MECHANISM_TYPE](repeating: 0, count: Int(count))
        expectRV(cryptoki.getMechanismList(0, &mechanisms, &count), CK_ULONG(CKR_OK))
        #expect(mechanisms.contains(CK_MECHANISM_TYPE(CKM_ECDSA)) && mechanisms.contains(CK_MECHANISM_TYPE(CKM_SHA256_RSA_PKCS)))
        var mechanismInfo = CK_MECHANISM_INFO()
        expectRV(cryptoki.getMechanismInfo(0, CK_MECHANISM_TYPE(CKM_SHA_1), &mechanismInfo), CK_ULONG(CKR_MECHANISM_INVALID))
        expectRV(cryptoki.getMechanismInfo(0, CK_MECHANISM_TYPE(CKM_ECDSA), &mechanismInfo), CK_ULONG(CKR_OK))
        #expect(mechanismInfo.flags & CK_FLAGS(CKF_SIGN) != 0 && mechanismInfo.ulMinKeySize == 256)

        expectRV(client.openSession(flags: 0).0, CK_ULONG(CKR_SESSION_PARALLEL_NOT_SUPPORTED))
        let (opened, session) = client.openSession()
        expectRV(opened, CK_ULONG(CKR_OK))
        var sessionInfo = CK_SESSION_INFO()
        expectRV(cryptoki.getSessionInfo(session, &sessionInfo), CK_ULONG(CKR_OK))
        #expect(sessionInfo.state == CK_STATE(CKS_RO_PUBLIC_SESSION))
        // Any PIN logs in; the token never needed it.
        var pin = Array("any PIN at all".utf8)
        expectRV(cryptoki.login(session, CK_USER_TYPE(CKU_USER), &pin, CK_ULONG(pin.count)), CK_ULONG(CKR_OK))
        expectRV(cryptoki.login(session, CK_USER_TYPE(CKU_USER), &pin, CK_ULONG(pin.count)), CK_ULONG(CKR_USER_ALREADY_LOGGED_IN))
        expectRV(cryptoki.getSessionInfo(session, &sessionInfo), CK_ULONG(CKR_OK))
        #expect(sessionInfo.state == CK_STATE(CKS_RO_USER_FUNCTIONS))
        expectRV(cryptoki.logout(session), CK_ULONG(CKR_OK))
        expectRV(cryptoki.logout(session), CK_ULONG(CKR_USER_NOT_LOGGED_IN))
        expectRV(cryptoki.login(session, 7, nil, 0), CK_ULONG(CKR_USER_TYPE_INVALID))

        expectRV(cryptoki.closeSession(session), CK_ULONG(CKR_OK))
        expectRV(cryptoki.closeSession(session), CK_ULONG(CKR_SESSION_HANDLE_INVALID))
        var reserved: UInt8 = 0
        expectRV(cryptoki.finalize(&reserved), CK_ULONG(CKR_ARGUMENTS_BAD))
        expectRV(cryptoki.finalize(nil), CK_ULONG(CKR_OK))
        expectRV(cryptoki.finalize(nil), CK_ULONG(CKR_CRYPTOKI_NOT_INITIALIZED))
        expectRV(cryptoki.closeSession(session), CK_ULONG(CKR_CRYPTOKI_NOT_INITIALIZED))
    }

    @Test("C_Initialize's arguments: reserved, half-supplied mutexes, mutexes without OS locking, no threads")
    func initializeArguments() throws {
        let signet = try LiveSignetScope.signet()
        let client = ModuleClient(["SIGNET_URL": signet.baseURL, "SIGNET_TOKEN": "sgt_unused"])
        func initialize(_ arguments: CK_C_INITIALIZE_ARGS) -> CK_RV {
            var arguments = arguments
            return withUnsafeMutablePointer(to: &arguments) { client.cryptoki.initialize(UnsafeMutableRawPointer($0)) }
        }
        var reserved: UInt8 = 0
        let create: CK_CREATEMUTEX = { _ in CK_RV(CKR_OK) }
        let other: CK_DESTROYMUTEX = { _ in CK_RV(CKR_OK) }
        withUnsafeMutablePointer(to: &reserved) { pointer in
            var arguments = CK_C_INITIALIZE_ARGS()
            arguments.pReserved = UnsafeMutableRawPointer(pointer)
            expectRV(initialize(arguments), CK_ULONG(CKR_ARGUMENTS_BAD))
        }
        var half = CK_C_INITIALIZE_ARGS()
        half.CreateMutex = create
        expectRV(initialize(half), CK_ULONG(CKR_ARGUMENTS_BAD))
        var callbacks = CK_C_INITIALIZE_ARGS()
        callbacks.CreateMutex = create
        callbacks.DestroyMutex = other
        callbacks.LockMutex = other
        callbacks.UnlockMutex = other
        expectRV(initialize(callbacks), CK_ULONG(CKR_CANT_LOCK))
        var noThreads = CK_C_INITIALIZE_ARGS()
        noThreads.flags = CK_FLAGS(CKF_LIBRARY_CANT_CREATE_OS_THREADS)
        expectRV(initialize(noThreads), CK_ULONG(CKR_NEED_TO_CREATE_THREADS))
        callbacks.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        expectRV(initialize(callbacks), CK_ULONG(CKR_OK))
        expectRV(client.cryptoki.finalize(nil), CK_ULONG(CKR_OK))
        // A configuration the module cannot use is refused at C_Initialize.
        expectRV(ModuleClient(["SIGNET_URL": "ftp://x", "SIGNET_TOKEN": "t"]).cryptoki.initialize(nil), CK_ULONG(CKR_GENERAL_ERROR))
        expectRV(ModuleClient([:]).cryptoki.initialize(nil), CK_ULONG(CKR_GENERAL_ERROR))
    }

    @Test("objects: find by class and id, read attributes, keep handles across listings; bad handles and sessions")
    func objects() async throws {
        let signet = try LiveSignetScope.signet()
        let token = try signet.token(role: "ci", team: "payments", name: "objects")
        let key = try await signet.releaseKey("objects-1", token: token)
        let client = try Self.client(token: token)
        let cryptoki = client.cryptoki
        let (_, session) = client.openSession()
        let id = TokenContents.idOctets(key.keyID)
        let matching = client.find(session, [(CK_ULONG(CKA_ID), id)])
        #expect(matching.count == 3, "private key, public key and certificate share the key id")
        let privateKey = try #require(client.find(session, [(Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY))), (CK_ULONG(CKA_ID), id)]).first)
        #expect(client.attribute(session, privateKey, CK_ULONG(CKA_LABEL)).1 == Array("objects-1".utf8))
        expectRV(client.attribute(session, privateKey, CK_ULONG(CKA_VALUE)).0, CK_ULONG(CKR_ATTRIBUTE_SENSITIVE))
        let certificate = try #require(client.find(session, [(Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_CERTIFICATE))), (CK_ULONG(CKA_ID), id)]).first)
        let der = try #require(client.attribute(session, certificate, CK_ULONG(CKA_VALUE)).1)
        #expect(der == (try PEMDocument(pemString: key.certificate)).derBytes)
        // The chain's CA certificates are there too.
        #expect(client.find(session, [(CK_ULONG(CKA_CERTIFICATE_CATEGORY), AttributeEncoding.ulong(2))]).count == 2)

        // Another session lists again: the same objects keep their handles.
        let (_, second) = client.openSession()
        #expect(client.find(second, [(CK_ULONG(CKA_ID), id)]) == matching)

        var template = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_LABEL), pValue: nil, ulValueLen: 0)
        expectRV(cryptoki.getAttributeValue(session, 999_999, &template, 1), CK_ULONG(CKR_OBJECT_HANDLE_INVALID))
        expectRV(cryptoki.getAttributeValue(999_999, privateKey, &template, 1), CK_ULONG(CKR_SESSION_HANDLE_INVALID))
        var handle: CK_OBJECT_HANDLE = 0, count: CK_ULONG = 0
        expectRV(cryptoki.findObjects(session, &handle, 1, &count), CK_ULONG(CKR_OPERATION_NOT_INITIALIZED))
        expectRV(cryptoki.findObjectsInit(session, nil, 0), CK_ULONG(CKR_OK))
        expectRV(cryptoki.findObjectsInit(session, nil, 0), CK_ULONG(CKR_OPERATION_ACTIVE))
        expectRV(cryptoki.findObjects(session, nil, 1, &count), CK_ULONG(CKR_ARGUMENTS_BAD))
        expectRV(cryptoki.findObjectsFinal(session), CK_ULONG(CKR_OK))
        expectRV(cryptoki.findObjectsFinal(session), CK_ULONG(CKR_OPERATION_NOT_INITIALIZED))
        expectRV(cryptoki.findObjectsInit(session, nil, 3), CK_ULONG(CKR_ARGUMENTS_BAD))
        _ = cryptoki.finalize(nil)
    }

    @Test("signing: each mechanism's output verifies with the certificate's key; length queries and small buffers cost no signature")
    func signing() async throws {
        let signet = try LiveSignetScope.signet()
        let token = try signet.token(role: "ci", team: "payments", name: "signing")
        let key = try await signet.releaseKey("signing-1", token: token)
        let publicKey = try #require(P256.Signing.PublicKey(try Certificate(pemEncoded: key.certificate).publicKey))
        let client = try Self.client(token: token)
        let cryptoki = client.cryptoki
        let (_, session) = client.openSession()
        let privateKey = try #require(client.find(session, [(CK_ULONG(CKA_ID), TokenContents.idOctets(key.keyID)), (Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)))]).first)
        let message = Array("a pre-release build".utf8)

        let (rv256, withSHA256) = client.sign(session, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA_SHA256), data: message)
        expectRV(rv256, CK_ULONG(CKR_OK))
        #expect(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: withSHA256), for: SHA256.hash(data: message)))
        let (rvRaw, raw) = client.sign(session, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA), data: Array(SHA384.hash(data: message)))
        expectRV(rvRaw, CK_ULONG(CKR_OK))
        #expect(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: raw), for: SHA384.hash(data: message)))
        // A SHA-1 digest (20 octets) is sent as the same integer, padded: the signature verifies for SHA-1.
        let (rvSHA1, sha1) = client.sign(session, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA), data: Array(Insecure.SHA1.hash(data: message)))
        expectRV(rvSHA1, CK_ULONG(CKR_OK))
        #expect(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: sha1), for: Insecure.SHA1.hash(data: message)))

        // Multi-part with local hashing.
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_ECDSA_SHA512), pParameter: nil, ulParameterLen: 0)
        expectRV(cryptoki.signInit(session, &mechanism, privateKey), CK_ULONG(CKR_OK))
        expectRV(cryptoki.signInit(session, &mechanism, privateKey), CK_ULONG(CKR_OPERATION_ACTIVE))
        for part in ["a pre-", "release", " build"] {
            var bytes = Array(part.utf8)
            expectRV(cryptoki.signUpdate(session, &bytes, CK_ULONG(bytes.count)), CK_ULONG(CKR_OK))
        }
        var small = [UInt8](repeating: 0, count: 10)
        var length = CK_ULONG(small.count)
        expectRV(cryptoki.signFinal(session, &small, &length), CK_ULONG(CKR_BUFFER_TOO_SMALL))
        #expect(length == 64)
        var signature = [UInt8](repeating: 0, count: 64)
        expectRV(cryptoki.signFinal(session, &signature, &length), CK_ULONG(CKR_OK))
        #expect(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: SHA512.hash(data: message)))
        expectRV(cryptoki.signFinal(session, &signature, &length), CK_ULONG(CKR_OPERATION_NOT_INITIALIZED))

        // Only the signatures were audited: length queries and the small buffer made none.
        let audited = try OpenSSL.check(ProcessRunner.run("sqlite3", [signet.home + "/signet.db",
            "SELECT COUNT(*) FROM audit_log WHERE action = 'signature.remote' AND target = '\(key.keyID)'"]), "sqlite3").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(audited == "4")

        // Wrong mechanism, key, parameters and arguments.
        var rsa = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS), pParameter: nil, ulParameterLen: 0)
        expectRV(cryptoki.signInit(session, &rsa, privateKey), CK_ULONG(CKR_KEY_TYPE_INCONSISTENT))
        var unknown = CK_MECHANISM(mechanism: 0x9999, pParameter: nil, ulParameterLen: 0)
        expectRV(cryptoki.signInit(session, &unknown, privateKey), CK_ULONG(CKR_MECHANISM_INVALID))
        let parameter = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { parameter.deallocate() }
        parameter.pointee = 1
        var withParameter = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_ECDSA), pParameter: UnsafeMutableRawPointer(parameter), ulParameterLen: 1)
        expectRV(cryptoki.signInit(session, &withParameter, privateKey), CK_ULONG(CKR_MECHANISM_PARAM_INVALID))
        expectRV(cryptoki.signInit(session, nil, privateKey), CK_ULONG(CKR_ARGUMENTS_BAD))
        let certificate = try #require(client.find(session, [(Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_CERTIFICATE)))]).first)
        expectRV(cryptoki.signInit(session, &mechanism, certificate), CK_ULONG(CKR_KEY_HANDLE_INVALID))
        expectRV(cryptoki.sign(session, nil, 0, nil, &length), CK_ULONG(CKR_OPERATION_NOT_INITIALIZED))
        var ecdsa = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_ECDSA), pParameter: nil, ulParameterLen: 0)
        expectRV(cryptoki.signInit(session, &ecdsa, privateKey), CK_ULONG(CKR_OK))
        expectRV(cryptoki.sign(session, nil, 0, &signature, &length), CK_ULONG(CKR_DATA_LEN_RANGE))
        expectRV(cryptoki.sign(session, nil, 0, &signature, &length), CK_ULONG(CKR_OPERATION_NOT_INITIALIZED), "an error ends the operation")
        _ = cryptoki.finalize(nil)
    }

    @Test("refusals: a key revoked after listing, another team's token, a developer token, a stopped Signet")
    func refusals() async throws {
        let signet = try LiveSignetScope.signet()
        let token = try signet.token(role: "ci", team: "payments", name: "refusals")
        let key = try await signet.releaseKey("refusals-1", token: token)
        let client = try Self.client(token: token, extra: ["SIGNET_PKCS11_CONFIG": ""])
        let (_, session) = client.openSession()
        let id = TokenContents.idOctets(key.keyID)
        let privateKey = try #require(client.find(session, [(CK_ULONG(CKA_ID), id), (Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)))]).first)
        let digest = Array(SHA256.hash(data: [1, 2, 3]))
        expectRV(client.sign(session, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA), data: digest).0, CK_ULONG(CKR_OK))

        // Revoked while this session holds the key: Signet answers 409 and the key may no longer sign.
        try await signet.revoke(key.serial)
        expectRV(client.sign(session, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA), data: digest).0, CK_ULONG(CKR_KEY_FUNCTION_NOT_PERMITTED))
        // A new session lists again: the key is gone, and its old handle names nothing.
        let (_, fresh) = client.openSession()
        #expect(client.find(fresh, [(CK_ULONG(CKA_ID), id)]).isEmpty)
        expectRV(client.sign(fresh, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA), data: digest).0, CK_ULONG(CKR_KEY_HANDLE_INVALID))
        _ = client.cryptoki.finalize(nil)

        // Another team's token sees its own (empty) token, never this team's keys.
        let live = try await signet.releaseKey("refusals-2", token: token)
        let other = try Self.client(token: try signet.token(role: "ci", team: "search", name: "other-team"))
        let (otherOpened, otherSession) = other.openSession()
        expectRV(otherOpened, CK_ULONG(CKR_OK))
        var tokenInfo = CK_TOKEN_INFO()
        expectRV(other.cryptoki.getTokenInfo(0, &tokenInfo), CK_ULONG(CKR_OK))
        #expect(withUnsafeBytes(of: tokenInfo.label) { String(decoding: $0, as: UTF8.self) }.hasPrefix("search "))
        #expect(other.find(otherSession, []).isEmpty)
        #expect(other.find(otherSession, [(CK_ULONG(CKA_ID), TokenContents.idOctets(live.keyID))]).isEmpty)
        _ = other.cryptoki.finalize(nil)

        // A developer token (no release keys for it) and an unknown token: no token in the slot.
        for credential in [try signet.token(role: "developer", team: "payments", name: "dev"), "sgt_unknown_token"] {
            let refused = try Self.client(token: credential)
            var count: CK_ULONG = 0
            expectRV(refused.cryptoki.getSlotList(CK_BBOOL(CK_TRUE), nil, &count), CK_ULONG(CKR_OK))
            #expect(count == 0)
            expectRV(refused.cryptoki.getSlotList(CK_BBOOL(CK_FALSE), nil, &count), CK_ULONG(CKR_OK))
            #expect(count == 1)
            var slotInfo = CK_SLOT_INFO()
            expectRV(refused.cryptoki.getSlotInfo(0, &slotInfo), CK_ULONG(CKR_OK))
            #expect(slotInfo.flags & CK_FLAGS(CKF_TOKEN_PRESENT) == 0)
            expectRV(refused.cryptoki.getTokenInfo(0, &tokenInfo), CK_ULONG(CKR_TOKEN_NOT_PRESENT))
            expectRV(refused.openSession().0, CK_ULONG(CKR_TOKEN_NOT_PRESENT))
            _ = refused.cryptoki.finalize(nil)
        }

        // Signet stops while a session holds a key: signing is a device error, and works again once it is back.
        let running = try Self.client(token: token)
        let (_, runningSession) = running.openSession()
        let liveKey = try #require(running.find(runningSession, [(CK_ULONG(CKA_ID), TokenContents.idOctets(live.keyID)), (Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)))]).first)
        signet.stop()
        defer { try? signet.restart() }
        expectRV(running.sign(runningSession, key: liveKey, mechanism: CK_ULONG(CKM_ECDSA), data: digest).0, CK_ULONG(CKR_DEVICE_ERROR))
        expectRV(running.openSession().0, CK_ULONG(CKR_DEVICE_ERROR))
        try signet.restart()
        expectRV(running.sign(runningSession, key: liveKey, mechanism: CK_ULONG(CKM_ECDSA), data: digest).0, CK_ULONG(CKR_OK))
        _ = running.cryptoki.finalize(nil)
        // Never initialised against a stopped Signet: the slot has no token.
        signet.stop()
        let unreachable = try Self.client(token: token)
        var count: CK_ULONG = 0
        expectRV(unreachable.cryptoki.getSlotList(CK_BBOOL(CK_TRUE), nil, &count), CK_ULONG(CKR_OK))
        #expect(count == 0)
        try signet.restart()
    }

    @Test("a configuration file: token_file, release filter; https with the file's root, and refused without it")
    func configurationFile() async throws {
        let signet = try LiveSignetScope.signet()
        let token = try signet.token(role: "ci", team: "payments", name: "config-file")
        let wanted = try await signet.releaseKey("config-2", token: token)
        _ = try await signet.releaseKey("config-1", token: token)
        let work = TestEnvironment.temporaryDirectory("pkcs11-config", in: signet.work)
        let tokenFile = work + "/token", configuration = work + "/pkcs11.conf"
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try "# the release pipeline\nurl = \(signet.baseURL)\ntoken_file = \(tokenFile)\nrelease = config-2\n".write(toFile: configuration, atomically: true, encoding: .utf8)
        let filtered = ModuleClient(["SIGNET_PKCS11_CONFIG": configuration])
        expectRV(filtered.cryptoki.initialize(nil), CK_ULONG(CKR_OK))
        let (_, session) = filtered.openSession()
        let keys = Self.privateKeys(filtered, session)
        #expect(keys.count == 1)
        #expect(keys.first.map { filtered.attribute(session, $0, CK_ULONG(CKA_ID)).1 } == TokenContents.idOctets(wanted.keyID))
        _ = filtered.cryptoki.finalize(nil)

        // Signet over TLS with a certificate only the configured root vouches for.
        let cert = work + "/tls.pem", key = work + "/tls.key"
        try OpenSSL.check(ProcessRunner.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                                                        "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]), "openssl req -x509")
        let tls = try ServerProcess(home: signet.home, extraArguments: ["--tls-cert", cert, "--tls-key", key])
        defer { tls.stop() }
        let https = "https://127.0.0.1:\(tls.port)"
        for (root, expected) in [(cert, CKR_OK), (signet.root, CKR_DEVICE_ERROR), (nil, CKR_DEVICE_ERROR)] as [(String?, CK_ULONG)] {
            try "url = \(https)\ntoken = \(token)\n\(root.map { "root = \($0)\n" } ?? "")".write(toFile: configuration, atomically: true, encoding: .utf8)
            let client = ModuleClient(["SIGNET_PKCS11_CONFIG": configuration])
            expectRV(client.cryptoki.initialize(nil), CK_ULONG(CKR_OK))
            let (opened, tlsSession) = client.openSession()
            expectRV(opened, expected, "root \(root ?? "(system)")")
            if opened == CK_RV(CKR_OK) {
                let privateKey = try #require(client.find(tlsSession, [(CK_ULONG(CKA_ID), TokenContents.idOctets(wanted.keyID)),
                                                                       (Self.objectClass, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)))]).first)
                expectRV(client.sign(tlsSession, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA_SHA256), data: [1, 2, 3]).0, CK_ULONG(CKR_OK))
            }
            _ = client.cryptoki.finalize(nil)
        }
    }

    /// A stand-in for a GitHub Actions runner's ID token endpoint (GitHub is not here): answers
    /// `{"value": <value>}` to a GET with `Authorization: bearer <requestToken>` and `audience=<audience>`,
    /// 403 to anything else, and counts the requests it answered in `<work>/requests`.
    final class RunnerTokenEndpoint {
        let process = Process()
        let port: Int
        let work: String

        init(value: String, requestToken: String, audience: String, in work: String) throws {
            self.work = work
            let script = work + "/runner.py"
            try """
            import http.server, json, sys, urllib.parse
            import os
            value, request_token, audience, log = os.environ["RUNNER_VALUE"], os.environ["RUNNER_REQUEST_TOKEN"], sys.argv[1], sys.argv[2]
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                    good = self.headers.get("Authorization") == "bearer " + request_token and query.get("audience") == [audience] \
                        and query.get("api-version") == ["2.0"]
                    body = json.dumps({"count": 1, "value": value} if good else {"message": "no"}).encode()
                    self.send_response(200 if good else 403)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    if good:
                        with open(log, "a") as f: f.write("ok\\n")
                def log_message(self, *args): pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """.write(toFile: script, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: try #require(ProcessRunner.which("python3")))
            // Tokens go through the environment, never argv.
            process.arguments = [script, audience, work + "/requests"]
            process.environment = ProcessInfo.processInfo.environment.merging(["RUNNER_VALUE": value, "RUNNER_REQUEST_TOKEN": requestToken]) { $1 }
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let line = output.fileHandleForReading.availableData
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw TestFailure("the runner stand-in did not start")
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)/_apis/pipelines/idtoken?api-version=2.0" }
        var requests: Int { ((try? String(contentsOfFile: work + "/requests", encoding: .utf8)) ?? "").split(separator: "\n").count }

        /// SIGKILL: a child of the test process inherits a signal mask with SIGTERM blocked.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    @Test("a CI job's identity as the credential: SIGNET_ID_TOKEN goes as the bearer; in GitHub Actions the module asks the runner for the ID token with Signet's audience")
    func jobIdentity() async throws {
        let signet = try LiveSignetScope.signet()
        // Signet here has no OIDC issuer configured, so the "ID token" the job holds is a ci token: what is
        // tested is that the module obtains the bearer the way a job does and sends it, not Signet's OIDC.
        let bearer = try signet.token(role: "ci", team: "identity", name: "job-identity")
        let key = try await signet.releaseKey("identity-1", token: bearer)
        func signs(_ environment: [String: String], _ what: String) throws {
            let client = ModuleClient(environment.merging(["SIGNET_URL": signet.baseURL]) { $1 })
            expectRV(client.cryptoki.initialize(nil), CK_ULONG(CKR_OK), what)
            let (opened, session) = client.openSession()
            expectRV(opened, CK_ULONG(CKR_OK), what)
            let privateKey = try #require(Self.privateKeys(client, session).first, "\(what)")
            #expect(client.attribute(session, privateKey, CK_ULONG(CKA_ID)).1 == TokenContents.idOctets(key.keyID), "\(what)")
            expectRV(client.sign(session, key: privateKey, mechanism: CK_ULONG(CKM_ECDSA_SHA256), data: [1, 2, 3]).0, CK_ULONG(CKR_OK), what)
            _ = client.cryptoki.finalize(nil)
        }
        try signs(["SIGNET_ID_TOKEN": bearer], "SIGNET_ID_TOKEN")

        let work = TestEnvironment.temporaryDirectory("pkcs11-runner", in: signet.work)
        let runner = try RunnerTokenEndpoint(value: bearer, requestToken: "runner-request-token", audience: "signet", in: work)
        defer { runner.stop() }
        try signs(["ACTIONS_ID_TOKEN_REQUEST_URL": runner.url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token"], "GitHub Actions")
        #expect(runner.requests >= 2, "a listing and a signature, each with the runner's token (not a JWT, so not reused)")

        // The runner refuses (wrong request token, or another audience): no token in the slot.
        for environment in [["ACTIONS_ID_TOKEN_REQUEST_TOKEN": "stale"], ["ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token", "SIGNET_OIDC_AUDIENCE": "elsewhere"]] {
            let refused = ModuleClient(environment.merging(["SIGNET_URL": signet.baseURL, "ACTIONS_ID_TOKEN_REQUEST_URL": runner.url]) { $1 })
            expectRV(refused.cryptoki.initialize(nil), CK_ULONG(CKR_OK))
            expectRV(refused.openSession().0, CK_ULONG(CKR_TOKEN_NOT_PRESENT), "\(environment)")
            _ = refused.cryptoki.finalize(nil)
        }
        // The runner's endpoint unreachable: a device error, try again later.
        runner.stop()
        let unreachable = ModuleClient(["SIGNET_URL": signet.baseURL, "ACTIONS_ID_TOKEN_REQUEST_URL": runner.url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-request-token"])
        expectRV(unreachable.cryptoki.initialize(nil), CK_ULONG(CKR_OK))
        expectRV(unreachable.openSession().0, CK_ULONG(CKR_DEVICE_ERROR))
        _ = unreachable.cryptoki.finalize(nil)
    }

    /// Tests/PKCS11Consumer/pkcs11_consumer.c, built with the system C compiler.
    static func consumer() throws -> String {
        let output = TestEnvironment.temporaryDirectory("pkcs11-consumer") + "/pkcs11_consumer"
        try OpenSSL.check(ProcessRunner.run("cc", ["-O1", "-Wall", "-Werror", "-o", output, TestEnvironment.repositoryRoot + "/Tests/PKCS11Consumer/pkcs11_consumer.c",
                                                   "-ldl", "-lpthread"]), "building the C consumer")
        return output
    }

    @Test("a C program loads the .so: 8 threads sign at once while another lists, every signature verifies; a forked child initialises again and signs")
    func cConsumer() async throws {
        let signet = try LiveSignetScope.signet()
        let token = try signet.token(role: "ci", team: "consumer", name: "c-consumer")
        let key = try await signet.releaseKey("threads-1", token: token)
        let publicKey = try #require(P256.Signing.PublicKey(try Certificate(pemEncoded: key.certificate).publicKey))
        let consumer = try Self.consumer()
        let environment: [String: String?] = signet.moduleEnvironment(token: token, debug: false)
        func verified(_ result: ProcessResult) throws -> [String] {
            #expect(result.succeeded && !result.signaled, "\(result.output) \(result.stderr)")
            #expect(result.output.hasSuffix("ok\n"), "\(result.output)")
            var messages: [String] = []
            for line in result.output.split(separator: "\n") where line.hasPrefix("sig ") {
                let fields = line.split(separator: " ")
                let hex = Array(fields[2].utf8)
                let signature = stride(from: 0, to: hex.count - 1, by: 2).map { UInt8(String(decoding: hex[$0...$0 + 1], as: UTF8.self), radix: 16)! }
                let valid = publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: SHA256.hash(data: Array(fields[1].utf8)))
                #expect(valid, "\(line)")
                messages.append(String(fields[1]))
            }
            return messages
        }
        let threads = try verified(try WithoutSwift.run(consumer, [LiveSignet.moduleLibrary, "threads", "8", "10"], environment: environment))
        #expect(Set(threads).count == 80)
        let forked = try verified(try WithoutSwift.run(consumer, [LiveSignet.moduleLibrary, "fork"], environment: environment))
        #expect(Set(forked) == ["parent-before-fork", "child-after-fork", "parent-after-fork"])
    }

    @Test("every entry of the function list is set; unsupported ones answer CKR_FUNCTION_NOT_SUPPORTED")
    func functionList() throws {
        let list = FunctionList.make()
        let entries = Mirror(reflecting: list).children.filter { $0.label != "version" }
        #expect(entries.count == 68)
        #expect(entries.allSatisfy { child in Mirror(reflecting: child.value).children.first != nil }, "no entry is nil")
        expectRV(list.C_GenerateRandom!(1, nil, 0), CK_ULONG(CKR_FUNCTION_NOT_SUPPORTED))
        expectRV(list.C_DigestInit!(1, nil), CK_ULONG(CKR_FUNCTION_NOT_SUPPORTED))
        expectRV(list.C_VerifyInit!(1, nil, 1), CK_ULONG(CKR_FUNCTION_NOT_SUPPORTED))
        expectRV(list.C_CreateObject!(1, nil, 0, nil), CK_ULONG(CKR_FUNCTION_NOT_SUPPORTED))
        expectRV(list.C_GetFunctionStatus!(1), CK_ULONG(CKR_FUNCTION_NOT_PARALLEL))
        expectRV(FunctionList.get(nil), CK_ULONG(CKR_ARGUMENTS_BAD))
    }
}
