import Foundation
import SignetCore
import SignetWire
import X509

/// `signet request` and `signet renew`: a certificate for a key made (or kept) on this machine. The
/// key never leaves it; only a CSR does. What Signet returns is believed only once its chain verifies
/// to the trusted root (RFC 5280 path validation at the current time) and its key is the one sent, and
/// the files are written only then, all at once (``OutputFiles``).
public struct CertificateRequester: Sendable {
    public let api: APIClient
    public let roots: [Certificate]

    public init(api: APIClient, roots: [Certificate]) {
        self.api = api
        self.roots = roots
    }

    /// A certificate Signet issued, checked.
    public struct Issued: Sendable {
        public let serial: String
        public let profile: String
        /// Leaf, issuing CA, root: the validated path.
        public let chain: [Certificate]
        public var certificate: Certificate { chain[0] }
        public var notAfter: Date { certificate.notValidAfter }
    }

    /// What `signet request` should do.
    public struct RequestOptions: Sendable {
        public var profile: String
        public var out: CredentialPaths
        public var validity: String?
        public var subjectName: String?
        /// Overrides the profile's default key type.
        public var keyType: String?
        /// Use this key instead of generating one (it is not copied into `out.key`).
        public var keyFile: String?
        public var keystore: Bool
        public var force: Bool

        public init(profile: String, out: CredentialPaths, validity: String? = nil, subjectName: String? = nil, keyType: String? = nil,
                    keyFile: String? = nil, keystore: Bool = false, force: Bool = false) {
            self.profile = profile
            self.out = out
            self.validity = validity
            self.subjectName = subjectName
            self.keyType = keyType
            self.keyFile = keyFile
            self.keystore = keystore
            self.force = force
        }
    }

    /// What was written.
    public struct Written: Sendable {
        public let issued: Issued
        public let files: [String]
        public let keyType: KeyAlgorithm
    }

    /// The profiles the token may use.
    public func profiles() async throws -> [RequestableProfile] {
        let listed = try await api.get("/api/v1/profiles")
        guard let profiles = listed["profiles"] as? [[String: Any]] else {
            throw SignetError.internalError("Expected a profiles list from \(api.base)/api/v1/profiles; is it a Signet server?")
        }
        return try profiles.map(RequestableProfile.init(json:))
    }

    /// `signet request`. `password` is asked for only when a keystore is to be written, and before
    /// anything is sent, so a refusal to give one costs no certificate.
    public func request(_ options: RequestOptions, password: () throws -> String) async throws -> Written {
        var isDirectory: ObjCBool = false
        let directory = OutputFiles.directoryOf(options.out.base)
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SignetError.notFound("The directory \(directory) for --out does not exist; nothing was requested")
        }
        var outputs = [options.out.certificate, options.out.chain]
        if options.keyFile == nil { outputs.append(options.out.key) }
        if options.keystore { outputs.append(options.out.keystore) }
        if !options.force {
            let present = outputs.filter(OutputFiles.exists)
            guard present.isEmpty else {
                throw SignetError.conflict("\(present.joined(separator: ", ")) already \(present.count == 1 ? "exists" : "exist"); pass --force to replace, or choose another --out")
            }
        }
        if let validity = options.validity { _ = try ValidityDuration(parsing: validity) }
        let keystorePassword = options.keystore ? try password() : nil

        let available = try await profiles()
        guard let profile = available.first(where: { $0.name == options.profile }) else {
            let names = available.filter { $0.keySource == "csr" }.map(\.name)
            throw SignetError.forbidden("This token may not request under profile '\(options.profile)'; it may use: \(names.isEmpty ? "none" : names.joined(separator: ", ")) (signet profiles)")
        }
        guard profile.keySource == "csr" else {
            throw SignetError.refused("Profile '\(profile.name)' keeps its keys in Signet's HSM; use `signet release-key` and `signet sign` with it")
        }
        if options.subjectName != nil && !profile.subjectName {
            throw SignetError.refused("Profile '\(profile.name)' takes the certificate's subject from your token; --subject-name applies only to profiles whose subject uses {subject_name}")
        }
        let key: LocalKey
        if let keyFile = options.keyFile {
            let text = String(decoding: try ContextFiles.read(keyFile, what: "key"), as: UTF8.self)
            key = try LocalKey.read(pem: text, file: keyFile)
            if let keyType = options.keyType, keyType != key.algorithm.rawValue {
                throw SignetError.malformed("\(keyFile) holds an \(key.algorithm) key, not \(keyType)")
            }
        } else {
            let wanted = options.keyType ?? profile.keyTypes.first ?? KeyAlgorithm.ecP256.rawValue
            guard let algorithm = KeyAlgorithm(rawValue: wanted) else {
                throw SignetError.malformed("Unknown key type '\(wanted)'; use one of \(KeyAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            key = try LocalKey.generate(algorithm)
        }
        guard profile.keyTypes.contains(key.algorithm.rawValue) else {
            throw SignetError.refused("Profile '\(profile.name)' takes \(profile.keyTypes.joined(separator: ", ")) keys, not \(key.algorithm)")
        }
        let issued = try await issue(profile: profile.name, key: key, validity: options.validity, subjectName: options.subjectName)
        var files = [
            OutputFiles.File(path: options.out.certificate, bytes: Array((PEM.encode(issued.certificate.derBytes) + "\n").utf8), mode: 0o644),
            OutputFiles.File(path: options.out.chain, bytes: Array(Self.pemChain(issued.chain).utf8), mode: 0o644),
        ]
        if options.keyFile == nil { files.insert(OutputFiles.File(path: options.out.key, bytes: Array(key.pem.utf8), mode: 0o600), at: 0) }
        if let keystorePassword {
            files.append(OutputFiles.File(path: options.out.keystore, bytes: try Self.keystore(key: key, chain: issued.chain, alias: options.out.alias, password: keystorePassword), mode: 0o600))
        }
        try OutputFiles.write(files, overwrite: options.force)
        return Written(issued: issued, files: files.map(\.path), keyType: key.algorithm)
    }

    /// What `signet renew` did.
    public enum Renewal: Sendable {
        /// Not due: expires after the window; nothing changed.
        case notDue(notAfter: Date)
        case renewed(previousSerial: String, issued: Issued, files: [String])
    }

    /// `signet renew`: a new certificate under the same profile, for the same key and validity period,
    /// written in place of `certificatePath` (and the chain and keystore beside it), unless it does not
    /// expire within `window`. An expired or revoked certificate is not renewed: request a new one.
    public func renew(certificatePath: String, keyFile: String, window: ValidityDuration?, validity: String?, subjectName: String?,
                      now: Date = Date(), password: () throws -> String) async throws -> Renewal {
        let current = try Self.readCertificate(certificatePath)
        let key = try LocalKey.read(pem: String(decoding: try ContextFiles.read(keyFile, what: "key"), as: UTF8.self), file: keyFile)
        guard key.publicKey == current.publicKey else {
            throw SignetError.malformed("The key in \(keyFile) is not the key of \(certificatePath)")
        }
        guard now < current.notValidAfter else {
            throw SignetError.refused("\(certificatePath) expired at \(ISO8601.string(current.notValidAfter)); an expired certificate is not renewed: request a new one with `signet request`")
        }
        if let window, current.notValidAfter.timeIntervalSince(now) > window.timeInterval {
            return .notDue(notAfter: current.notValidAfter)
        }
        if let validity { _ = try ValidityDuration(parsing: validity) }
        let paths = CredentialPaths(certificate: certificatePath)
        let keystorePassword = OutputFiles.exists(paths.keystore) ? try password() : nil

        let serial = current.serialNumber.bytes.hexString
        let shown = try await api.get("/api/v1/certificates/\(serial)")
        let record = shown
        guard let profile = record["profile"] as? String else {
            throw SignetError.internalError("Expected the record of \(serial) from \(api.base); is it a Signet server?")
        }
        if record["status"] as? String == "revoked" {
            throw SignetError.refused("\(certificatePath) (serial \(serial)) is revoked; request a new certificate with a new key")
        }
        // The same period as the certificate being replaced, unless told otherwise.
        let period = ValidityDuration(seconds: max(1, Int64(current.notValidAfter.timeIntervalSince(current.notValidBefore).rounded())))
        let name = subjectName ?? current.subject.commonName
        let issued = try await issue(profile: profile, key: key, validity: validity ?? period.description, subjectName: name)
        var files = [
            OutputFiles.File(path: certificatePath, bytes: Array((PEM.encode(issued.certificate.derBytes) + "\n").utf8), mode: 0o644),
            OutputFiles.File(path: paths.chain, bytes: Array(Self.pemChain(issued.chain).utf8), mode: 0o644),
        ]
        if let keystorePassword {
            files.append(OutputFiles.File(path: paths.keystore, bytes: try Self.keystore(key: key, chain: issued.chain, alias: paths.alias, password: keystorePassword), mode: 0o600))
        }
        try OutputFiles.write(files, overwrite: true)
        return .renewed(previousSerial: serial, issued: issued, files: files.map(\.path))
    }

    /// Sends the CSR and checks the answer.
    func issue(profile: String, key: LocalKey, validity: String?, subjectName: String?) async throws -> Issued {
        var body: [String: Any] = ["profile": profile, "csr": try key.csr(subjectName: subjectName)]
        if let validity { body["validity"] = validity }
        let answer = try await api.post("/api/v1/certificates", body)
        guard let serial = answer["serial"] as? String, let leafPEM = answer["certificate"] as? String, let chainPEM = answer["chain"] as? [String] else {
            throw SignetError.internalError("Expected serial, certificate and chain from \(api.base)/api/v1/certificates; is it a Signet server?")
        }
        let chain = try await verifiedChain(leafPEM: leafPEM, chainPEM: chainPEM, key: key)
        return Issued(serial: serial, profile: profile, chain: chain)
    }

    /// The path from the returned certificate to a trusted root, or a `verification_failed` error that
    /// says the server is not the Signet this client trusts.
    func verifiedChain(leafPEM: String, chainPEM: [String], key: LocalKey) async throws -> [Certificate] {
        let leaf: Certificate
        let intermediates: [Certificate]
        do {
            leaf = try Certificate(pemEncoded: leafPEM)
            intermediates = try chainPEM.map { try Certificate(pemEncoded: $0) }
        } catch {
            throw SignetError.internalError("Signet returned a certificate that does not parse: \(error)")
        }
        guard leaf.publicKey == key.publicKey else {
            throw SignetError(.verificationFailed, "The certificate Signet returned is not for the key this client sent; nothing was written")
        }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) { RFC5280Policy() }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
        case .validCertificate(let path):
            return Array(path)
        case .couldNotValidate(let failures):
            let reasons = failures.map { "\($0.policyFailureReason)" }.joined(separator: "; ")
            throw SignetError(.verificationFailed, "The certificate \(api.base) returned does not chain to the trusted root (\(Fingerprint.sha256(roots[0]).prefix(16))…); is --url the Signet you bootstrapped? Nothing was written. (\(reasons))")
        }
    }

    static func pemChain(_ chain: [Certificate]) -> String {
        chain.map { PEM.encode($0.derBytes) + "\n" }.joined()
    }

    static func keystore(key: LocalKey, chain: [Certificate], alias: String, password: String) throws -> [UInt8] {
        try PKCS12Builder.build(privateKey: key.pkcs8DER, certificates: chain.map(\.derBytes), friendlyName: alias, password: password)
    }

    /// The first certificate in a PEM (or DER) file.
    static func readCertificate(_ path: String) throws -> Certificate {
        let bytes = try ContextFiles.read(path, what: "certificate")
        do {
            if let text = String(bytes: bytes, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") {
                guard let first = try TimestampClient.certificates(pem: text).first else { throw SignetError.malformed("no certificate") }
                return first
            }
            return try Certificate(derEncoded: bytes)
        } catch {
            throw SignetError.malformed("Expected a certificate (PEM or DER) in \(path)")
        }
    }
}

/// Reading the files a client command is pointed at.
enum ContextFiles {
    static func read(_ path: String, what: String) throws -> [UInt8] {
        try ClientContext.readInput(path, what: what)
    }
}

extension DistinguishedName {
    /// The first common name, if it is text.
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}
