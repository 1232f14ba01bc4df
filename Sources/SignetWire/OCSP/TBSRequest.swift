import SwiftASN1
import X509

/// The body of an OCSP request (RFC 6960 §4.1.1): what the client asks about, and its nonce.
///
/// ```
/// TBSRequest      ::=     SEQUENCE {
///     version             [0]     EXPLICIT Version DEFAULT v1,
///     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
///     requestList                 SEQUENCE OF Request,
///     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
///
/// Version         ::=             INTEGER  {  v1(0) }
/// ```
/// Parsing is bounded: at most `maximumRequests` entries in requestList.
public struct TBSRequest: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The cap used when a `TBSRequest` is parsed without one. RFC 5019 §2.1.1 clients send one
    /// Request; OpenSSL can send several. Larger requests are refused before they are decoded.
    public static let defaultMaximumRequests = 16

    public let requestorName: GeneralName?
    /// At least one Request.
    public let requestList: [Request]
    /// Empty when absent.
    public let requestExtensions: [Certificate.Extension]

    /// Throws `.invariant` with an empty requestList or a repeated extension.
    public init(requestorName: GeneralName? = nil, requestList: [Request], requestExtensions: [Certificate.Extension] = []) throws {
        guard !requestList.isEmpty else {
            throw WireError.invariant("Expected at least one Request in requestList, got none")
        }
        try Extensions.checkUnique(requestExtensions)
        self.requestorName = requestorName
        self.requestList = requestList
        self.requestExtensions = requestExtensions
    }

    /// The request's nonce extension (RFC 6960 §4.4.1) as its raw extnValue, for the responder to
    /// echo unchanged; check it with ``OCSPNonce/validate(extensionValue:)`` (RFC 8954).
    public var nonce: [UInt8]? { OCSPNonce.find(in: requestExtensions) }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        try self.init(derEncoded: rootNode, withIdentifier: identifier, maximumRequests: Self.defaultMaximumRequests)
    }

    /// Parses a TBSRequest, refusing one whose requestList holds more than `maximumRequests` entries.
    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier = .sequence, maximumRequests: Int) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try Int(derEncoded: $0)
            } ?? 0
            guard version == 0 else {
                throw WireError.unsupported("Expected OCSP request version v1 (0), got \(version)")
            }
            let requestorName = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try GeneralName(derEncoded: $0)
            }
            let listNode = try DERPrimitives.next(&nodes, expecting: "requestList")
            guard listNode.identifier == .sequence, case .constructed(let children) = listNode.content else {
                throw WireError.malformed("Expected requestList SEQUENCE, got \(listNode.identifier)")
            }
            var requests: [Request] = []
            for child in children {
                guard requests.count < maximumRequests else {
                    throw WireError.malformed("Expected at most \(maximumRequests) Requests in requestList, got more")
                }
                requests.append(try Request(derEncoded: child))
            }
            guard !requests.isEmpty else {
                throw WireError.malformed("Expected at least one Request in requestList, got none")
            }
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 2, tagClass: .contextSpecific) {
                try Extensions.parse($0)
            }
            return try TBSRequest(requestorName: requestorName, requestList: requests, requestExtensions: extensions ?? [])
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            // version is DEFAULT v1 and so, in DER, absent (X.690 §11.5).
            if let requestorName {
                try coder.serialize(requestorName, explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific)
            }
            try coder.serializeSequenceOf(requestList)
            if !requestExtensions.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { coder in
                    try Extensions.serialize(requestExtensions, into: &coder)
                }
            }
        }
    }
}
