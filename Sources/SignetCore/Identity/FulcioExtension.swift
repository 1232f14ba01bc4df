import SwiftASN1
import X509

/// Sigstore's certificate extensions for CI identity, under its private enterprise number
/// (1.3.6.1.4.1.57264.1, sigstore/fulcio docs/oid-info.md): the de-facto standard that cosign,
/// sigstore-go and policy engines read to learn which issuer, repository, ref, commit, workflow and
/// run a signing certificate belongs to. Signet writes the current ones (.8 onward), each value a DER
/// UTF8String, as Fulcio does; and the deprecated Issuer (.1), whose value is the raw URL octets
/// without DER, because older verifiers read only that. The GitHub-only .2–.6 are deprecated in
/// favour of the provider-neutral ones and are not written. All are non-critical (RFC 5280 §4.2:
/// a verifier that does not know them may ignore them).
public struct FulcioExtension: Sendable, Hashable, CustomStringConvertible {
    /// The last arc under 1.3.6.1.4.1.57264.1.
    public let arc: UInt
    public let name: String

    public var oid: ASN1ObjectIdentifier {
        // Both parts are constants, so the dotted form always parses.
        try! ASN1ObjectIdentifier(dotRepresentation: "1.3.6.1.4.1.57264.1.\(arc)")
    }

    public var description: String { "\(name) (1.3.6.1.4.1.57264.1.\(arc))" }

    /// 1.3.6.1.4.1.57264.1.1, Issuer (deprecated): the `iss` URL as raw octets, not DER.
    public static let issuerV1 = Self(arc: 1, name: "Issuer (deprecated)")
    public static let issuerV2 = Self(arc: 8, name: "Issuer (V2)")
    public static let buildSignerURI = Self(arc: 9, name: "Build Signer URI")
    public static let buildSignerDigest = Self(arc: 10, name: "Build Signer Digest")
    public static let runnerEnvironment = Self(arc: 11, name: "Runner Environment")
    public static let sourceRepositoryURI = Self(arc: 12, name: "Source Repository URI")
    public static let sourceRepositoryDigest = Self(arc: 13, name: "Source Repository Digest")
    public static let sourceRepositoryRef = Self(arc: 14, name: "Source Repository Ref")
    public static let sourceRepositoryIdentifier = Self(arc: 15, name: "Source Repository Identifier")
    public static let sourceRepositoryOwnerURI = Self(arc: 16, name: "Source Repository Owner URI")
    public static let sourceRepositoryOwnerIdentifier = Self(arc: 17, name: "Source Repository Owner Identifier")
    public static let buildConfigURI = Self(arc: 18, name: "Build Config URI")
    public static let buildConfigDigest = Self(arc: 19, name: "Build Config Digest")
    public static let buildTrigger = Self(arc: 20, name: "Build Trigger")
    public static let runInvocationURI = Self(arc: 21, name: "Run Invocation URI")
    public static let sourceRepositoryVisibilityAtSigning = Self(arc: 22, name: "Source Repository Visibility At Signing")
    public static let deploymentEnvironment = Self(arc: 23, name: "Deployment Environment")
    public static let tokenSubject = Self(arc: 24, name: "Token Subject")

    /// Whether an OID is one of Sigstore's Fulcio arcs (the linter refuses them in certificates of
    /// callers without a CI identity).
    public static func isFulcio(_ oid: ASN1ObjectIdentifier) -> Bool {
        oid.description.hasPrefix("1.3.6.1.4.1.57264.1.")
    }

    /// The extensions for an identity, in OID order: the deprecated Issuer first, then the values of
    /// ``WorkloadIdentity/fulcioValues`` as DER UTF8Strings.
    public static func extensions(for identity: WorkloadIdentity) throws -> [Certificate.Extension] {
        var result = [Certificate.Extension(oid: issuerV1.oid, critical: false, value: Array(identity.issuer.utf8)[...])]
        for (fulcio, value) in identity.fulcioValues {
            result.append(Certificate.Extension(oid: fulcio.oid, critical: false, value: try encodeUTF8String(value)[...]))
        }
        return result
    }

    /// `UTF8String` (tag 0x0C), DER.
    public static func encodeUTF8String(_ text: String) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1UTF8String(text))
        return serializer.serializedBytes
    }

    /// The text of a DER UTF8String extension value; nil if it is anything else.
    public static func decodeUTF8String(_ bytes: ArraySlice<UInt8>) -> String? {
        guard let string = try? ASN1UTF8String(derEncoded: bytes) else { return nil }
        return String(string)
    }
}
