import Crypto
import Foundation

/// The hash chain of the audit trail. Each entry's hash commits to its sequence number, its event
/// and the previous entry's hash, so editing, deleting or reordering any stored row breaks every
/// hash after it. Pure: the store computes hashes with it when appending and `signet audit verify`
/// recomputes them. The canonical form is specified in docs/audit.md, with a recipe that recomputes
/// it with sqlite3 and python3; a test runs that recipe against a real home.
public enum AuditChain {
    /// The `previousHash` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The canonical bytes hashed for an entry: a JSON array of nine strings (sequence, time in
    /// milliseconds, actor, role, action, target, outcome, details, previous hash; absent role and
    /// target as ""), where details is itself the JSON text of the details object with sorted keys,
    /// all written by ``CanonicalJSON`` (no whitespace, only `"`, `\` and control characters escaped).
    public static func canonicalBytes(sequence: Int64, event: AuditEvent, previousHash: String) -> [UInt8] {
        canonicalBytes(AuditRecord(sequence: sequence, timeMillis: millis(event.time), actor: event.actor, role: event.role, action: event.action,
                                   target: event.target, outcome: event.outcome.rawValue, details: CanonicalJSON.object(event.details),
                                   previousHash: previousHash, hash: ""))
    }

    /// The canonical bytes of a stored record (its `hash` is not part of them).
    public static func canonicalBytes(_ record: AuditRecord) -> [UInt8] {
        let fields: [String] = [
            String(record.sequence), String(record.timeMillis), record.actor, record.role ?? "", record.action, record.target ?? "",
            record.outcome, record.details, record.previousHash,
        ]
        var out: [UInt8] = []
        CanonicalJSON.appendArray(fields, to: &out)
        return out
    }

    public static func hash(sequence: Int64, event: AuditEvent, previousHash: String) -> String {
        SHA256.hash(data: canonicalBytes(sequence: sequence, event: event, previousHash: previousHash)).hexString
    }

    /// SHA-256 of the record's canonical bytes, lowercase hex: what its `hash` must be.
    public static func hash(_ record: AuditRecord) -> String {
        SHA256.hash(data: canonicalBytes(record)).hexString
    }

    /// An event time in whole milliseconds since 1970, as stored and hashed.
    public static func millis(_ time: Date) -> Int64 { AuditCheckpoint.millis(time) }

    /// The first entry whose hash or link does not check out, with the reason; nil if the chain is intact.
    public static func firstBreak(in entries: [AuditEntry], expectedPrevious: String = genesis, expectedFirstSequence: Int64 = 1) -> (AuditEntry, String)? {
        var walker = Walker(previousHash: expectedPrevious, nextSequence: expectedFirstSequence)
        for entry in entries {
            if let reason = walker.check(AuditRecord(entry)) { return (entry, reason) }
        }
        return nil
    }

    /// Checks records one at a time, in order, so a trail of any length is verified page by page
    /// without holding it in memory.
    public struct Walker: Sendable {
        /// The hash the next record must link to.
        public private(set) var previousHash: String
        /// The sequence number the next record must have.
        public private(set) var nextSequence: Int64
        /// Records checked so far.
        public private(set) var count = 0

        public init(previousHash: String = AuditChain.genesis, nextSequence: Int64 = 1) {
            self.previousHash = previousHash
            self.nextSequence = nextSequence
        }

        /// The sequence number of the last record checked (one before the next expected).
        public var lastSequence: Int64 { nextSequence - 1 }

        /// Checks `record` against the records before it; the reason it fails, or nil.
        public mutating func check(_ record: AuditRecord) -> String? {
            if record.sequence != nextSequence {
                return "expected sequence \(nextSequence), found \(record.sequence): an entry was deleted or reordered"
            }
            if record.previousHash != previousHash {
                return "its link to the previous entry does not match: an earlier entry was changed or removed"
            }
            if AuditChain.hash(record) != record.hash {
                return "its contents do not match its hash: the entry was edited"
            }
            previousHash = record.hash
            // Sequences come from the store; stop rather than trap at the end of Int64.
            guard nextSequence < Int64.max else { return "sequence \(record.sequence) is the largest possible; the trail cannot continue" }
            nextSequence += 1
            count += 1
            return nil
        }
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
