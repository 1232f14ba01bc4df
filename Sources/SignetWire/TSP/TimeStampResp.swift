import SwiftASN1

/// A TSA's answer (RFC 3161 §2.4.2): a status and, when granted, the time-stamp token.
///
/// ```
/// TimeStampResp ::= SEQUENCE  {
///      status                  PKIStatusInfo,
///      timeStampToken          TimeStampToken     OPTIONAL  }
///
/// TimeStampToken ::= ContentInfo
///      -- contentType is id-signedData ([CMS])
///      -- content is SignedData ([CMS])
/// ```
public struct TimeStampResp: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let status: PKIStatusInfo
    public let timeStampToken: ContentInfo?

    /// Throws `.invariant` unless a token is present exactly when the status is granted or grantedWithMods.
    public init(status: PKIStatusInfo, timeStampToken: ContentInfo?) throws {
        // RFC 3161 §2.4.2: with status 0 or 1 a TimeStampToken MUST be present; with any other
        // status it MUST NOT be.
        let granted = status.status == .granted || status.status == .grantedWithMods
        guard granted == (timeStampToken != nil) else {
            throw WireError.invariant("Expected a timeStampToken exactly when status is granted or grantedWithMods (RFC 3161 §2.4.2), got status \(status.status) with\(timeStampToken == nil ? "out" : "") a token")
        }
        self.status = status
        self.timeStampToken = timeStampToken
    }

    /// A granted response carrying `token`.
    public init(granted token: ContentInfo) throws {
        try self.init(status: PKIStatusInfo(status: .granted), timeStampToken: token)
    }

    /// A granted response around an already-encoded token (a ContentInfo), without parsing it again.
    public static func grantedDER(token: [UInt8]) -> [UInt8] {
        // PKIStatusInfo ::= SEQUENCE { status INTEGER 0 }
        DERPrimitives.tlv(0x30, [0x30, 0x03, 0x02, 0x01, 0x00], token)
    }

    /// A rejection: the failure answered in the protocol (RFC 3161 §2.4.2).
    public static func rejection(_ failInfo: PKIFailureInfo, statusString: [String] = []) throws -> TimeStampResp {
        try TimeStampResp(status: PKIStatusInfo(status: .rejection, statusString: statusString, failInfo: failInfo), timeStampToken: nil)
    }

    /// The TSTInfo inside the token, for clients reading a response.
    public func tstInfo() throws -> TSTInfo? {
        guard let timeStampToken else { return nil }
        let signedData = try timeStampToken.signedData()
        // RFC 3161 §2.4.2: the token's eContentType is id-ct-TSTInfo and eContent is the DER TSTInfo.
        guard signedData.encapContentInfo.eContentType == .CMSContentType.tstInfo, let content = signedData.encapContentInfo.eContent else {
            throw WireError.malformed("Expected a token with eContentType id-ct-TSTInfo and its eContent, got \(signedData.encapContentInfo.eContentType)")
        }
        return try TSTInfo(derEncoded: content)
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let status = try PKIStatusInfo(derEncoded: &nodes)
            let token = try DER.optionalImplicitlyTagged(&nodes, tag: .sequence) as ContentInfo?
            do {
                return try TimeStampResp(status: status, timeStampToken: token)
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(status)
            if let timeStampToken { try coder.serialize(timeStampToken) }
        }
    }
}
