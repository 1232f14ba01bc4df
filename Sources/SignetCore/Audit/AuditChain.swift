import Crypto
import Foundation

/// The hash chain of the audit trail. Each entry's hash commits to its sequence number, its event
/// and the previous entry's hash, so editing, deleting or reordering any stored row breaks every
/// hash after it. Pure: the store computes hashes with it when appending and `signet audit verify`
/// recomputes them.
public enum AuditChain {
    /// The `previousHash` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The canonical bytes hashed for an entry: a JSON array with sorted detail keys, so the same
    /// event always hashes the same.
    public static func canonicalBytes(sequence: Int64, event: AuditEvent, previousHash: String) -> [UInt8] {
        let millis = Int64((event.time.timeIntervalSince1970 * 1000).rounded())
        let fields: [String] = [
            String(sequence), String(millis), event.actor, event.role ?? "", event.action, event.target ?? "",
            event.outcome.rawValue, CanonicalJSON.object(event.details), previousHash,
        ]
        var out: [UInt8] = []
        CanonicalJSON.appendArray(fields, to: &out)
        return out
    }

    public static func hash(sequence: Int64, event: AuditEvent, previousHash: String) -> String {
        SHA256.hash(data: canonicalBytes(sequence: sequence, event: event, previousHash: previousHash)).hexString
    }

    /// The first entry whose hash or link does not check out, with the reason; nil if the chain is intact.
    public static func firstBreak(in entries: [AuditEntry], expectedPrevious: String = genesis, expectedFirstSequence: Int64 = 1) -> (AuditEntry, String)? {
        var previous = expectedPrevious
        var sequence = expectedFirstSequence
        for entry in entries {
            if entry.sequence != sequence {
                return (entry, "expected sequence \(sequence), found \(entry.sequence): an entry was deleted or reordered")
            }
            if entry.previousHash != previous {
                return (entry, "its link to the previous entry does not match: an earlier entry was changed or removed")
            }
            let recomputed = hash(sequence: entry.sequence, event: entry.event, previousHash: entry.previousHash)
            if recomputed != entry.hash {
                return (entry, "its contents do not match its hash: the entry was edited")
            }
            previous = entry.hash
            sequence += 1
        }
        return nil
    }
}

extension Digest {
    var hexString: String { Array(self).hexString }
}

/// Deterministic JSON for the audit trail: objects with sorted keys, no insignificant whitespace,
/// strings escaped per RFC 8259 §7. (JSONEncoder would do, at many times the cost per entry.)
public enum CanonicalJSON {
    public static func string(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string to `out`: listings write hundreds of strings into one buffer.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends the UTF-8 in `bytes` as a JSON string to `out`.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Copy the runs between escaped bytes whole: most strings (serials, names) are one run, and a
        // PEM has a newline every 64 characters.
        var runStart = 0
        for (index, byte) in bytes.enumerated() {
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0x0a: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0d: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let digits: StaticString = "0123456789abcdef"
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(digits.utf8Start[Int(byte >> 4)])
                out.append(digits.utf8Start[Int(byte & 0x0f)])
            default:
                break
            }
        }
        // Bytes of multi-byte UTF-8 sequences are all >= 0x80 and pass through unchanged.
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        out.append(UInt8(ascii: "\""))
    }

    public static func object(_ values: [String: String]) -> String {
        var out: [UInt8] = []
        appendObject(values, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func array(_ values: [String]) -> String {
        var out: [UInt8] = []
        appendArray(values, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `values` as an object with sorted keys.
    public static func appendObject(_ values: [String: String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(values[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `values` as an array of strings.
    public static func appendArray(_ values: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
