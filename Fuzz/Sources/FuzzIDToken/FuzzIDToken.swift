import Foundation
import FuzzSupport
import SignetCore

/// A bearer credential as the API receives it: jwt-kit's JWS parser and Signet's claim decoding
/// (``IDTokenVerifier/unverifiedClaims(_:)``, what a refusal's audit entry records), then everything
/// derived from claims for a certificate (SAN URI, Fulcio extensions, release name) as if the token
/// had verified. Nothing may trap, every URI must be ASCII (an IA5String), and every extension DER.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDToken(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    _ = IDTokenVerifier.looksLikeJWT(input.text)
    guard let payload = IDTokenVerifier.unverifiedClaims(input.text) else { return 0 }
    for provider in OIDCIssuerSettings.Provider.allCases {
        let identity = WorkloadIdentity(
            issuer: payload.claims["iss"] ?? "https://issuer.example", subject: payload.claims["sub"] ?? "s", provider: provider,
            serverURL: WorkloadIdentity.defaultServerURL(provider: provider, issuer: "https://issuer.example"), claims: payload.claims,
            expiresAt: Date(timeIntervalSince1970: payload.expiresAt.map { min(max($0, 0), 4_000_000_000) } ?? 0))
        if let uri = identity.subjectAlternativeNameURI { require(uri.unicodeScalars.allSatisfy(\.isASCII), "SAN URI not ASCII: \(uri)") }
        guard let extensions = try? FulcioExtension.extensions(for: identity) else { continue }
        for (fulcio, value) in zip(extensions.dropFirst(), identity.fulcioValues) {
            require(FulcioExtension.decodeUTF8String(fulcio.value) == value.1, "extension \(fulcio.oid) does not round-trip")
        }
        _ = identity.auditDetails
        _ = identity.principalName
        for template in templates { _ = template.render(identity) }
    }
    return 0
}

let templates = ["{tag}", "{ref_name}", "nightly-{short_sha}", "{environment}-{run_id}"].compactMap { try? ReleaseNameTemplate($0) }
