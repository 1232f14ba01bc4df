import Foundation
import SignetCore

/// Publishes CRLs as `<directory>/<issuer-name>.crl` (DER), each replaced atomically so a reader (a
/// web server, `openssl crl`) never sees half a file.
public struct CRLDirectory: CRLStorer {
    public let directory: String

    public init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SignetError(.storage, "Cannot create CRL directory \(directory): \(error.localizedDescription)")
        }
        self.directory = directory
    }

    public func path(for issuer: String) -> String { directory + "/" + issuer + ".crl" }

    public func store(_ crl: PublishedCRL) throws {
        try AtomicFile.write(crl.der, to: path(for: crl.issuer))
    }
}
