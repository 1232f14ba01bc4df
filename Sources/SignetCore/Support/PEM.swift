import Foundation

/// PEM encoding (RFC 7468) for output. swift-asn1's `PEMDocument.pemString` wraps lines with String
/// index arithmetic that costs more than the rest of an issuance; this is one base64 pass.
public enum PEM {
    /// `-----BEGIN type-----`, base64 in 64-character lines, `-----END type-----`, no trailing newline.
    public static func encode(_ der: [UInt8], type: String = "CERTIFICATE") -> String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(type)-----\n\(body)\n-----END \(type)-----"
    }
}
