import Foundation

/// The one way Signet writes JSON, for the API and for every `--json`: snake_case keys, RFC 3339
/// dates, keys sorted (stable output a script or a test can compare), slashes unescaped (PEM and URLs
/// stay readable). The hottest API answers are written by hand in the same conventions
/// (``CanonicalJSON``); everything else goes through this encoder.
public enum JSONConventions {
    /// A configured encoder; `pretty` for people (the CLI), compact for the wire.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
