import Foundation
import SwiftASN1
import X509

/// The status of one certificate, for the validity interval [thisUpdate, nextUpdate]
/// (RFC 6960 §4.2.1; RFC 5019 §2.2.4 for the interval).
///
/// ```
/// SingleResponse ::= SEQUENCE {
///    certID                       CertID,
///    certStatus                   CertStatus,
///    thisUpdate                   GeneralizedTime,
///    nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///    singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// ```
/// Times are whole seconds.
public struct SingleResponse: Hashable, Sendable, DERImplicitlyTaggable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The CertID from the request, echoed.
    public let certID: CertID
    public let certStatus: CertStatus
    public let thisUpdate: Date
    public let nextUpdate: Date?
    /// Empty when absent.
    public let singleExtensions: [Certificate.Extension]

    /// Throws `.invariant` when nextUpdate precedes thisUpdate or an extension repeats; times are
    /// truncated to whole seconds.
    public init(
        certID: CertID, certStatus: CertStatus, thisUpdate: Date, nextUpdate: Date?,
        singleExtensions: [Certificate.Extension] = []
    ) throws {
        let thisUpdate = try UTCComponents(wholeSecondsOf: thisUpdate).date
        let nextUpdate = try nextUpdate.map { try UTCComponents(wholeSecondsOf: $0).date }
        // RFC 6960 §4.2.2.1: nextUpdate is when newer information will be available.
        if let nextUpdate, nextUpdate < thisUpdate {
            throw WireError.invariant("Expected nextUpdate (\(nextUpdate)) not before thisUpdate (\(thisUpdate))")
        }
        try Extensions.checkUnique(singleExtensions)
        self.certID = certID
        self.certStatus = certStatus
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.singleExtensions = singleExtensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let certID = try CertID(derEncoded: &nodes)
            let status = try CertStatus(derEncoded: &nodes)
            let thisUpdate = Date(try GeneralizedTime(derEncoded: &nodes))
            let nextUpdate = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                Date(try GeneralizedTime(derEncoded: $0))
            }
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try Extensions.parse($0)
            }
            do {
                return try SingleResponse(
                    certID: certID, certStatus: status, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
                    singleExtensions: extensions ?? [])
            } catch let error as WireError {
                throw WireError.malformed(error.reason)
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(certID)
            try coder.serialize(certStatus)
            try coder.serialize(GeneralizedTime(wholeSecondsOf: thisUpdate))
            if let nextUpdate {
                try coder.serialize(GeneralizedTime(wholeSecondsOf: nextUpdate), explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
            if !singleExtensions.isEmpty {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { coder in
                    try Extensions.serialize(singleExtensions, into: &coder)
                }
            }
        }
    }
}
