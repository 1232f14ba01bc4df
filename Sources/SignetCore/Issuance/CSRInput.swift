import Foundation
import SwiftASN1
import X509

/// Reads a PKCS#10 certificate request given as PEM or DER and checks its self-signature, with
/// errors that say what was wrong with the input.
public enum CSRInput {
    /// Upper bound on a CSR; real ones are under 4 KiB even with RSA-4096 keys.
    public static let maximumSize = 64 * 1024

    public static func parse(_ bytes: [UInt8]) throws -> CertificateSigningRequest {
        guard !bytes.isEmpty else { throw SignetError.malformed("The CSR is empty") }
        guard bytes.count <= maximumSize else { throw SignetError.malformed("The CSR is \(bytes.count) bytes; at most \(maximumSize) accepted") }
        let csr: CertificateSigningRequest
        do {
            if isPEM(bytes) {
                let pem = String(decoding: bytes, as: UTF8.self)
                let document = try PEMDocument(pemString: pem)
                guard document.discriminator == "CERTIFICATE REQUEST" || document.discriminator == "NEW CERTIFICATE REQUEST" else {
                    throw SignetError.malformed("Expected a PEM 'CERTIFICATE REQUEST', got '\(document.discriminator)'")
                }
                csr = try CertificateSigningRequest(derEncoded: document.derBytes)
            } else {
                csr = try CertificateSigningRequest(derEncoded: bytes)
            }
        } catch let error as SignetError {
            throw error
        } catch {
            throw SignetError.malformed("Not a PKCS#10 certificate request (PEM or DER): \(error)")
        }
        // The CSR proves possession of the private key only if its signature verifies (RFC 2986 §3).
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw SignetError(.badSignature, "The CSR's signature does not verify with the public key it carries; re-create it with the matching private key")
        }
        return csr
    }

    /// The common name of the CSR's subject, for profiles whose subject uses `{subject_name}`: nil when
    /// the CSR has none; refused unless it is 1-64 printable characters (RFC 5280 ub-common-name).
    public static func subjectName(of csr: CertificateSigningRequest) throws -> String? {
        for rdn in csr.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                guard let name = String(attribute.value), (1...64).contains(name.count),
                      !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw SignetError.refused("Expected the CSR's common name (the subject name) to be 1-64 printable characters")
                }
                return name
            }
        }
        return nil
    }

    /// Whether the input is PEM: "-----BEGIN" after any leading ASCII whitespace. DER starts with
    /// 0x30, so it can never match.
    static func isPEM(_ bytes: [UInt8]) -> Bool {
        let start = bytes.firstIndex { ![0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c].contains($0) } ?? bytes.endIndex
        return bytes[start...].starts(with: "-----BEGIN".utf8)
    }
}
