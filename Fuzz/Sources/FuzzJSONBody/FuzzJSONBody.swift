import Foundation
import FuzzSupport
import SignetCore

/// API request bodies (`JSONFields`): the input is a body, read with the fields and shapes of the
/// API's requests: issuance (`profile`, `csr`, `validity`, `release`), revocation (`reason`), token
/// creation and remote signing (decoded with `JSONDecoder`, as the server decodes them).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONBody(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let body = Data(FuzzInput(start, count).bytes)
    if let fields = try? JSONFields(parsing: body, allowed: ["profile", "csr", "validity", "release", "reason", "rotate"]) {
        _ = try? fields.requiredString("profile")
        _ = try? fields.string("csr")
        _ = try? fields.string("validity").map(ValidityDuration.init(parsing:))
        _ = try? fields.string("release").map(NameRules.validateRelease)
        _ = try? RevocationReason(parsing: (try? fields.string("reason")) ?? "unspecified")
        _ = try? fields.bool("rotate")
    }
    if let fields = try? JSONFields(parsing: body, allowed: ["role", "team", "name", "expires_in"]),
       let token = try? fields.decode(TokenRequest.self) {
        _ = try? token.expiresIn.map(ValidityDuration.init(parsing:))
        _ = try? token.team.map(NameRules.validateTeam)
    }
    if let fields = try? JSONFields(parsing: body, allowed: ["digest", "algorithm"]), let sign = try? fields.decode(SignRequest.self) {
        _ = Data(base64Encoded: sign.digest)
        _ = DigestAlgorithm(rawValue: sign.algorithm.lowercased().replacingOccurrences(of: "-", with: ""))
    }
    return 0
}

/// The shapes of `POST /api/v1/tokens` and `POST /api/v1/keys/<id>/sign` bodies.
struct TokenRequest: Decodable {
    let role: String
    let team: String?
    let name: String?
    let expiresIn: String?
}

struct SignRequest: Decodable {
    let digest: String
    let algorithm: String
}
