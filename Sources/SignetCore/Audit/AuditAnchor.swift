import Foundation

/// The newest audit checkpoint as kept in the token, outside the database: a PKCS#11 data object
/// (CKO_DATA, CKA_APPLICATION `signet`, CKA_LABEL `signet/audit-anchor`) whose CKA_VALUE is one line
/// of JSON with sorted keys:
///
/// ```
/// {"entry_hash":"<64 hex>","format":"signet-audit-anchor-v1","key_id":"<hex CKA_ID>","previous_sequence":<n>,
///  "sequence":<n>,"signature":"<hex DER ECDSA-Sig-Value>","time_ms":<n>}
/// ```
///
/// It carries the whole signed checkpoint, so it verifies on its own against the audit key in the
/// same token. Someone who can write the database cannot touch it, so deleting checkpoint rows,
/// cutting the trail short or rewriting it all consistently leaves the database disagreeing with it.
///
/// Two copies are kept with the same value. The **private** copy (CKA_PRIVATE true) can be created
/// and destroyed only by someone logged in with the user PIN, so it is the authoritative one. The
/// **public** copy (CKA_PRIVATE false) can be read without the PIN, by auditors; but PKCS#11 lets
/// any session on the token (no PIN) create and destroy public objects, so on its own it proves only
/// that the *database* was not rewritten by someone without access to the token. Verification with
/// the PIN checks both and that they agree.
public enum AuditAnchor {
    /// CKA_LABEL of both copies.
    public static let label = "signet/audit-anchor"
    /// CKA_APPLICATION of both copies.
    public static let application = "signet"
    /// The value's `format` field.
    public static let format = "signet-audit-anchor-v1"
    /// Values larger than this are refused unread: an anchor is about 350 octets.
    public static let maximumSize = 4096

    /// Which copy of the anchor.
    public enum Copy: String, Sendable, Hashable, Codable, CaseIterable {
        /// CKA_PRIVATE true: visible and writable only after login with the user PIN.
        case `private`
        /// CKA_PRIVATE false: readable without login.
        case `public`
    }

    /// The CKA_VALUE for `checkpoint`, which must be chained (v2).
    public static func encode(_ checkpoint: AuditCheckpoint) throws -> [UInt8] {
        guard let previous = checkpoint.previousSequence else {
            throw SignetError.internalError("Only chained (v2) checkpoints are anchored; checkpoint at entry \(checkpoint.sequence) is v1")
        }
        var out: [UInt8] = []
        func field(_ name: String, _ text: String) {
            CanonicalJSON.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            CanonicalJSON.appendString(text, to: &out)
        }
        func field(_ name: String, _ number: Int64) {
            CanonicalJSON.appendString(name, to: &out)
            out.append(contentsOf: Array(":\(number)".utf8))
        }
        out.append(UInt8(ascii: "{"))
        field("entry_hash", checkpoint.entryHash); out.append(UInt8(ascii: ","))
        field("format", format); out.append(UInt8(ascii: ","))
        field("key_id", checkpoint.keyID); out.append(UInt8(ascii: ","))
        field("previous_sequence", previous); out.append(UInt8(ascii: ","))
        field("sequence", checkpoint.sequence); out.append(UInt8(ascii: ","))
        field("signature", checkpoint.signature.hexString); out.append(UInt8(ascii: ","))
        field("time_ms", checkpoint.timeMillis)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private struct Value: Decodable {
        let format: String
        let sequence: Int64
        let entry_hash: String
        let time_ms: Int64
        let key_id: String
        let signature: String
        let previous_sequence: Int64
    }

    /// Parses a CKA_VALUE read from the token. Any input gives a checkpoint or an error that says what
    /// is wrong; nothing here traps.
    public static func decode(_ bytes: [UInt8]) throws -> AuditCheckpoint {
        guard bytes.count <= maximumSize else {
            throw SignetError.malformed("Expected an audit anchor of at most \(maximumSize) octets, got \(bytes.count)")
        }
        let value: Value
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw SignetError.malformed("Expected an audit anchor (JSON with format \(format)), got something that does not parse")
        }
        guard value.format == format else {
            throw SignetError.malformed("Expected audit anchor format \(format), got '\(value.format.prefix(64))'")
        }
        guard value.sequence >= 1, value.previous_sequence >= 0, value.previous_sequence < value.sequence, value.time_ms >= 0,
              value.time_ms < 253_402_300_800_000 else {
            throw SignetError.malformed("Expected an audit anchor with 0 <= previous_sequence < sequence and a time in years 1970-9999, got sequence \(value.sequence), previous \(value.previous_sequence), time_ms \(value.time_ms)")
        }
        guard value.entry_hash.utf8.count == 64, Hex.decode(value.entry_hash) != nil, value.entry_hash == value.entry_hash.lowercased() else {
            throw SignetError.malformed("Expected the anchor's entry_hash as 64 lowercase hex digits")
        }
        guard value.key_id.utf8.count <= 128, let keyID = Hex.decode(value.key_id), keyID.hexString == value.key_id else {
            throw SignetError.malformed("Expected the anchor's key_id as lowercase hex of at most 64 octets")
        }
        guard value.signature.utf8.count <= 2048, let signature = Hex.decode(value.signature) else {
            throw SignetError.malformed("Expected the anchor's signature as hex of at most 1024 octets")
        }
        return AuditCheckpoint(sequence: value.sequence, entryHash: value.entry_hash, time: Date(timeIntervalSince1970: Double(value.time_ms) / 1000),
                               keyID: value.key_id, signature: signature, previousSequence: value.previous_sequence)
    }
}
