#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signet's answer to `GET /api/v1/keys`: the release keys the credential may sign with now, each with
/// its certificate and chain in PEM.
public struct KeyListing: Decodable, Sendable, Equatable {
    public struct Key: Decodable, Sendable, Equatable {
        public let keyID: String
        public let release: String
        public let team: String?
        public let algorithm: String
        public let serial: String
        public let certificate: String
        public let chain: [String]

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id", release, team, algorithm, serial, certificate, chain
        }

        public init(keyID: String, release: String, team: String?, algorithm: String, serial: String, certificate: String, chain: [String]) {
            self.keyID = keyID
            self.release = release
            self.team = team
            self.algorithm = algorithm
            self.serial = serial
            self.certificate = certificate
            self.chain = chain
        }
    }

    /// The team whose keys these are; nil when an admin without a team lists every team's.
    public let team: String?
    /// The credential's name in Signet.
    public let principal: String
    public let keys: [Key]

    public init(team: String?, principal: String, keys: [Key]) {
        self.team = team
        self.principal = principal
        self.keys = keys
    }

    /// Decodes Signet's JSON.
    public static func decode(_ body: [UInt8]) throws(PKCS11ParseError) -> KeyListing {
        do {
            return try JSONDecoder().decode(KeyListing.self, from: Data(body))
        } catch {
            throw PKCS11ParseError("Expected Signet's key listing (team, principal, keys), got something else: \(error)")
        }
    }
}
