import Crypto
import Foundation
@testable import SignetCore
import Testing

/// The canonical form entries are hashed in (docs/audit.md §1), the anchor's encoding, and the rules
/// that relate the token's anchor to the newest checkpoint row.
@Suite struct AuditChainTests {
    static func record(sequence: Int64 = 3, previousHash: String = String(repeating: "a", count: 64), actor: String = "cli:ops",
                       details: String = #"{"name":"alice","role":"developer"}"#) -> AuditRecord {
        var record = AuditRecord(sequence: sequence, timeMillis: 1_767_225_600_000, actor: actor, role: "admin", action: "token.create",
                                 target: "3f9c01ab", outcome: "success", details: details, previousHash: previousHash, hash: "")
        record.hash = AuditChain.hash(record)
        return record
    }

    @Test("the example in docs/audit.md: exactly these bytes, exactly this hash")
    func documentedExample() {
        let record = Self.record()
        let expected = #"["3","1767225600000","cli:ops","admin","token.create","3f9c01ab","success","{\"name\":\"alice\",\"role\":\"developer\"}","aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]"#
        #expect(String(decoding: AuditChain.canonicalBytes(record), as: UTF8.self) == expected)
        #expect(record.hash == "14941582c78c338d45812318f0de4b6505b740a6b5eb23ded1cab0c8c27b1e42")
        // The event form the store hashes when appending gives the same bytes.
        let event = AuditEvent(time: Date(timeIntervalSince1970: 1_767_225_600), actor: "cli:ops", role: "admin", action: "token.create",
                               target: "3f9c01ab", details: ["role": "developer", "name": "alice"])
        #expect(AuditChain.hash(sequence: 3, event: event, previousHash: String(repeating: "a", count: 64)) == record.hash)
    }

    @Test("escaping: only quote, backslash and control characters; short forms for newline, return and tab only",
          arguments: [
            ("plain/slash", #""plain/slash""#),
            ("q\"b\\", #""q\"b\\""#),
            ("n\nr\rt\t", #""n\nr\rt\t""#),
            ("b\u{8}f\u{c}z\u{0}u\u{1f}", #""b\u0008f\u000cz\u0000u\u001f""#),
            ("del\u{7f}", "\"del\u{7f}\""),
            ("Zoë ✓ 😀", "\"Zoë ✓ 😀\""),
          ])
    func escaping(text: String, json: String) {
        #expect(CanonicalJSON.string(text) == json)
    }

    @Test("the walker names the first edited, deleted or relinked record")
    func walker() {
        var records: [AuditRecord] = []
        var previous = AuditChain.genesis
        for sequence in Int64(1)...5 {
            let record = Self.record(sequence: sequence, previousHash: previous, actor: "a\(sequence)")
            records.append(record)
            previous = record.hash
        }
        var intact = AuditChain.Walker()
        #expect(records.allSatisfy { intact.check($0) == nil })
        #expect(intact.lastSequence == 5 && intact.count == 5)

        var edited = records
        edited[2].details = #"{"name": "alice"}"#  // equivalent JSON, different text: still an edit
        var walker = AuditChain.Walker()
        #expect(edited.compactMap { walker.check($0) }.first?.contains("edited") == true)

        var gap = AuditChain.Walker()
        let reasons = records.enumerated().filter { $0.offset != 1 }.map { gap.check($0.element) }
        #expect(reasons[1]?.contains("expected sequence 2, found 3") == true)
    }

    static func checkpoint(_ sequence: Int64, at millis: Int64, previous: Int64?, hash: String = "h") -> AuditCheckpoint {
        AuditCheckpoint(sequence: sequence, entryHash: hash, time: Date(timeIntervalSince1970: Double(millis) / 1000), keyID: "01",
                        signature: [1, 2, 3], previousSequence: previous)
    }

    @Test("the anchor may equal the newest row or be the checkpoint right before it, nothing else")
    func anchorAgreement() {
        let anchor = Self.checkpoint(10, at: 1_000, previous: 4)
        func agreement(_ anchor: AuditCheckpoint?, _ newest: AuditCheckpoint?, first: Bool = false) -> AuditVerifier.Agreement {
            AuditVerifier.agreement(anchor: anchor, newest: newest, newestIsFirstChained: first)
        }
        #expect(agreement(anchor, anchor) == .same)
        #expect(agreement(anchor, Self.checkpoint(10, at: 2_000, previous: 4)) == .oneBehind)           // refreshed
        #expect(agreement(anchor, Self.checkpoint(12, at: 2_000, previous: 10)) == .oneBehind)          // next entry
        #expect(agreement(anchor, Self.checkpoint(14, at: 3_000, previous: 12)) == .disagrees)          // two steps
        #expect(agreement(anchor, Self.checkpoint(10, at: 500, previous: 4)) == .disagrees)             // older row
        #expect(agreement(anchor, Self.checkpoint(10, at: 2_000, previous: 3)) == .disagrees)           // relinked
        #expect(agreement(anchor, Self.checkpoint(10, at: 2_000, previous: 4, hash: "x")) == .disagrees) // other hash
        #expect(agreement(anchor, Self.checkpoint(8, at: 2_000, previous: 4)) == .disagrees)            // behind the anchor
        #expect(agreement(anchor, nil) == .disagrees)                                                  // rows deleted
        var forged = anchor
        forged.signature = [9]
        #expect(agreement(anchor, forged) == .disagrees)
        // No anchor: the state before the first chained checkpoint.
        #expect(agreement(nil, nil) == .same)
        #expect(agreement(nil, Self.checkpoint(10, at: 1_000, previous: nil)) == .same)                 // v1 rows only
        #expect(agreement(nil, Self.checkpoint(10, at: 1_000, previous: 0), first: true) == .oneBehind)
        #expect(agreement(nil, Self.checkpoint(10, at: 1_000, previous: 4), first: false) == .disagrees)
    }

    @Test("an anchor round-trips through its token value, which is one line of sorted JSON")
    func anchorRoundTrip() throws {
        let checkpoint = AuditCheckpoint(sequence: 40, entryHash: String(repeating: "0f", count: 32), time: Date(timeIntervalSince1970: 1_767_225_600.123),
                                         keyID: "00112233445566778899aabbccddeeff", signature: Array(0..<72), previousSequence: 12)
        let value = try AuditAnchor.encode(checkpoint)
        let text = String(decoding: value, as: UTF8.self)
        #expect(text.hasPrefix(#"{"entry_hash":"0f0f"#) && text.contains(#""format":"signet-audit-anchor-v1","key_id":"00112233445566778899aabbccddeeff","previous_sequence":12,"sequence":40,"signature":"000102"#))
        #expect(text.hasSuffix(#""time_ms":1767225600123}"#))
        #expect(!text.contains("\n") && !text.contains(" "))
        let decoded = try AuditAnchor.decode(value)
        #expect(decoded.isSameStatement(as: checkpoint))
        #expect(decoded.signedBytes == Array("signet-audit-checkpoint-v2|40|\(checkpoint.entryHash)|1767225600123|12".utf8))
        #expect(throws: SignetError.self) { try AuditAnchor.encode(AuditCheckpoint(sequence: 1, entryHash: "", time: Date(), keyID: "", signature: [])) }
    }

    @Test("the anchor parser refuses every malformed value with an error and never traps (mutations and random bytes)")
    func anchorParserNeverTraps() throws {
        let valid = try AuditAnchor.encode(AuditCheckpoint(sequence: 40, entryHash: String(repeating: "ab", count: 32), time: Date(timeIntervalSince1970: 1_767_225_600),
                                                           keyID: "0011", signature: [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], previousSequence: 12))
        let text = String(decoding: valid, as: UTF8.self)
        let refused = [
            "", "{}", "null", "[]", String(repeating: "{", count: 5000),
            text.replacingOccurrences(of: "signet-audit-anchor-v1", with: "v2"),
            text.replacingOccurrences(of: "\"sequence\":40", with: "\"sequence\":9223372036854775808"),
            text.replacingOccurrences(of: "\"sequence\":40", with: "\"sequence\":4.5"),
            text.replacingOccurrences(of: "\"sequence\":40", with: "\"sequence\":-1"),
            text.replacingOccurrences(of: "\"previous_sequence\":12", with: "\"previous_sequence\":40"),
            text.replacingOccurrences(of: "\"time_ms\":1767225600000", with: "\"time_ms\":-5"),
            text.replacingOccurrences(of: "abab", with: "ABAB"),
            text.replacingOccurrences(of: "\"key_id\":\"0011\"", with: "\"key_id\":\"0g11\""),
            text.replacingOccurrences(of: "\"signature\":\"3006", with: "\"signature\":\"306"),
        ]
        for value in refused {
            #expect(throws: SignetError.self, "\(value.prefix(80))") { try AuditAnchor.decode(Array(value.utf8)) }
        }
        // Property: any single-octet change, truncation, and random bytes give a value or an error.
        var generator = SystemRandomNumberGenerator()
        for index in valid.indices {
            var mutated = valid
            mutated[index] = UInt8.random(in: 0...255, using: &generator)
            _ = try? AuditAnchor.decode(mutated)
            _ = try? AuditAnchor.decode(Array(valid[..<index]))
        }
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? AuditAnchor.decode(bytes)
        }
    }
}
