import Foundation

/// RFC 3339 timestamps in UTC with whole seconds (`2026-11-29T02:26:26Z`), formatted with
/// `gmtime_r`: listings print four per certificate, and ISO8601DateFormatter costs microseconds each.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        append(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the 20 bytes of `date` in RFC 3339 form to `out`.
    public static func append(_ date: Date, to out: inout [UInt8]) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func put(_ value: Int32, _ width: Int) {
            if width == 2 {
                out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
                out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
                return
            }
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (value / 1000) % 10))
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (value / 100) % 10))
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (value / 10) % 10))
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
        }
        put(parts.tm_year + 1900, 4); out.append(UInt8(ascii: "-"))
        put(parts.tm_mon + 1, 2); out.append(UInt8(ascii: "-"))
        put(parts.tm_mday, 2); out.append(UInt8(ascii: "T"))
        put(parts.tm_hour, 2); out.append(UInt8(ascii: ":"))
        put(parts.tm_min, 2); out.append(UInt8(ascii: ":"))
        put(parts.tm_sec, 2); out.append(UInt8(ascii: "Z"))
    }
}

extension CertificateSummary {
    /// This summary as a JSON object, keys sorted and snake_case, exactly as the API's JSONEncoder
    /// would write it (absent optionals omitted).
    public var json: String {
        var out: [UInt8] = []
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON object to `out`, keys written in sorted order (listings write a page of these
    /// into one buffer; a test holds the result to JSONEncoder's).
    public func appendJSON(to out: inout [UInt8]) {
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func text(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            CanonicalJSON.appendString(value, to: &out)
        }
        func time(_ name: StaticString, _ value: Date?) {
            guard let value else { return }
            key(name)
            out.append(UInt8(ascii: "\""))
            ISO8601.append(value, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "{"))
        time("created_at", createdAt)
        text("issuer", issuer)
        text("key_id", keyId)
        time("not_after", notAfter)
        time("not_before", notBefore)
        text("profile", profile)
        text("release", release)
        text("requester", requester)
        text("revocation_reason", revocationReason)
        time("revoked_at", revokedAt)
        text("serial", serial)
        text("status", status)
        text("subject", subject)
        text("team", team)
        out.append(UInt8(ascii: "}"))
    }
}
