import Foundation

/// RFC 3339 timestamps in UTC with whole seconds (`2026-11-29T02:26:26Z`), formatted with
/// `gmtime_r`: listings print four per certificate, and ISO8601DateFormatter costs microseconds each.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int32, _ at: Int, _ width: Int) {
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                out[at + i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(parts.tm_year + 1900, 0, 4); out[4] = UInt8(ascii: "-")
        put(parts.tm_mon + 1, 5, 2); out[7] = UInt8(ascii: "-")
        put(parts.tm_mday, 8, 2); out[10] = UInt8(ascii: "T")
        put(parts.tm_hour, 11, 2); out[13] = UInt8(ascii: ":")
        put(parts.tm_min, 14, 2); out[16] = UInt8(ascii: ":")
        put(parts.tm_sec, 17, 2); out[19] = UInt8(ascii: "Z")
        return String(decoding: out, as: UTF8.self)
    }
}

extension CertificateSummary {
    /// This summary as a JSON object, keys sorted and snake_case, exactly as the API's JSONEncoder
    /// would write it (absent optionals omitted).
    public var json: String {
        var fields: [(String, String)] = [
            ("created_at", "\"\(ISO8601.string(createdAt))\""), ("issuer", CanonicalJSON.string(issuer)),
            ("not_after", "\"\(ISO8601.string(notAfter))\""), ("not_before", "\"\(ISO8601.string(notBefore))\""),
            ("profile", CanonicalJSON.string(profile)), ("requester", CanonicalJSON.string(requester)),
            ("serial", CanonicalJSON.string(serial)), ("status", CanonicalJSON.string(status)), ("subject", CanonicalJSON.string(subject)),
        ]
        if let keyId { fields.append(("key_id", CanonicalJSON.string(keyId))) }
        if let release { fields.append(("release", CanonicalJSON.string(release))) }
        if let revocationReason { fields.append(("revocation_reason", CanonicalJSON.string(revocationReason))) }
        if let revokedAt { fields.append(("revoked_at", "\"\(ISO8601.string(revokedAt))\"")) }
        if let team { fields.append(("team", CanonicalJSON.string(team))) }
        return "{" + fields.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
