import Hummingbird
import SignetCore

/// `GET /api/v1/profiles`: what the caller's token may ask for, so a client (`signet request`) picks a
/// profile and generates the right kind of key before it sends anything.
struct ProfileController {
    let services: SignetServices

    func register(_ table: inout RouteTable, _ router: some RouterMethods<SignetRequestContext>) {
        table.add(router, .get, "/api/v1/profiles", list)
    }

    struct ProfileBody: Encodable {
        let name: String
        let description: String
        /// `csr`: requested with `POST /api/v1/certificates`; `hsm`: a release key, `POST /api/v1/releases/{release}/key`.
        let keySource: String
        /// Key types in the profile's order; the first is the one to generate by default.
        let keyTypes: [String]
        let defaultValidity: String
        let maxValidity: String
        /// Whether the certificate's subject takes the CSR's common name (`{subject_name}` in the template).
        let subjectName: Bool
    }

    struct ListBody: Encodable {
        let profiles: [ProfileBody]
    }

    @Sendable func list(_ request: Request, context: SignetRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let profiles = AccessPolicy.requestableProfiles(principal, in: services.ca.profiles).map { profile in
            ProfileBody(
                name: profile.name, description: profile.summary, keySource: profile.keySource.rawValue, keyTypes: profile.keyAlgorithms.map(\.rawValue),
                defaultValidity: profile.defaultValidity.description, maxValidity: profile.maxValidity.description,
                subjectName: profile.subject.usedPlaceholders.contains("subject_name"))
        }
        return try JSONBody.response(ListBody(profiles: profiles))
    }
}
