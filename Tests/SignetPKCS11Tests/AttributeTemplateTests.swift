import CPKCS11
@testable import SignetPKCS11
import Testing

/// C_GetAttributeValue and C_FindObjectsInit templates against real CK_ATTRIBUTE memory.
@Suite struct AttributeTemplateTests {
    static let object = TokenObject(identity: .privateKey(keyID: "ab"), attributes: [
        CK_ATTRIBUTE_TYPE(CKA_CLASS): AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY)),
        CK_ATTRIBUTE_TYPE(CKA_LABEL): Array("v2.0.0".utf8),
        CK_ATTRIBUTE_TYPE(CKA_ID): [0xab, 0xcd],
        CK_ATTRIBUTE_TYPE(CKA_SIGN): AttributeEncoding.bool(true),
        CK_ATTRIBUTE_TYPE(CKA_START_DATE): [],
    ], sensitive: [CK_ATTRIBUTE_TYPE(CKA_VALUE)])

    /// A template with one caller-owned buffer per entry (nil for a length query), freed afterwards.
    final class Template {
        var entries: [CK_ATTRIBUTE]
        var buffers: [UnsafeMutableRawPointer?]

        init(_ spec: [(CK_ULONG, Int?)]) {
            buffers = spec.map { $0.1.map { UnsafeMutableRawPointer.allocate(byteCount: max($0, 1), alignment: 8) } }
            entries = zip(spec, buffers).map { item, buffer in CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(item.0), pValue: buffer, ulValueLen: CK_ULONG(item.1 ?? 0)) }
        }

        deinit { buffers.forEach { $0?.deallocate() } }

        func value(_ index: Int) -> [UInt8] {
            guard let buffer = buffers[index], entries[index].ulValueLen != AttributeEncoding.unavailable else { return [] }
            return Array(UnsafeRawBufferPointer(start: buffer, count: Int(entries[index].ulValueLen)))
        }

        func fill(from object: TokenObject) -> CK_RV {
            AttributeTemplate.fill(&entries, count: CK_ULONG(entries.count), from: object)
        }
    }

    @Test("the two-call convention: lengths first, then values")
    func twoCalls() {
        let query = Template([(CKA_LABEL, nil), (CKA_ID, nil), (CKA_CLASS, nil), (CKA_START_DATE, nil)])
        #expect(query.fill(from: Self.object) == CK_RV(CKR_OK))
        #expect(query.entries.map(\.ulValueLen) == [6, 2, CK_ULONG(MemoryLayout<CK_ULONG>.size), 0])
        let read = Template(query.entries.map { ($0.type, Int($0.ulValueLen)) })
        #expect(read.fill(from: Self.object) == CK_RV(CKR_OK))
        #expect(read.value(0) == Array("v2.0.0".utf8) && read.value(1) == [0xab, 0xcd])
        #expect(AttributeEncoding.readULong(read.value(2)) == CK_ULONG(CKO_PRIVATE_KEY))
    }

    @Test("sensitive, unknown and too small are answered per entry; every other entry still gets its value")
    func perEntryErrors() {
        let sensitive = Template([(CKA_LABEL, 16), (CKA_VALUE, 32)])
        #expect(sensitive.fill(from: Self.object) == CK_RV(CKR_ATTRIBUTE_SENSITIVE))
        #expect(sensitive.value(0) == Array("v2.0.0".utf8) && sensitive.entries[1].ulValueLen == AttributeEncoding.unavailable)
        let unknown = Template([(CKA_MODULUS, 16), (CKA_ID, 2)])
        #expect(unknown.fill(from: Self.object) == CK_RV(CKR_ATTRIBUTE_TYPE_INVALID))
        #expect(unknown.entries[0].ulValueLen == AttributeEncoding.unavailable && unknown.value(1) == [0xab, 0xcd])
        let small = Template([(CKA_LABEL, 5)])
        #expect(small.fill(from: Self.object) == CK_RV(CKR_BUFFER_TOO_SMALL))
        #expect(small.entries[0].ulValueLen == AttributeEncoding.unavailable)
        #expect(AttributeTemplate.fill(nil, count: 1, from: Self.object) == CK_RV(CKR_ARGUMENTS_BAD))
        #expect(AttributeTemplate.fill(nil, count: 0, from: Self.object) == CK_RV(CKR_OK))
        #expect(AttributeTemplate.fill(nil, count: CK_ULONG.max, from: Self.object) == CK_RV(CKR_ARGUMENTS_BAD))
    }

    @Test("search templates match exact values only; a sensitive or absent attribute never matches")
    func matching() throws {
        func matches(_ spec: [(CK_ULONG, [UInt8])]) throws -> Bool {
            let buffers = spec.map { _, value in value.withUnsafeBytes { bytes -> UnsafeMutableRawPointer? in
                guard !bytes.isEmpty else { return nil }
                let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 8)
                copy.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                return copy
            } }
            defer { buffers.forEach { $0?.deallocate() } }
            let entries = zip(spec, buffers).map { CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE($0.0), pValue: $1, ulValueLen: CK_ULONG($0.1.count)) }
            return AttributeTemplate.matches(Self.object, try entries.withUnsafeBufferPointer { try AttributeTemplate.criteria($0.baseAddress, count: CK_ULONG(entries.count)) })
        }
        #expect(try matches([]))
        #expect(try matches([(CKA_CLASS, AttributeEncoding.ulong(CK_ULONG(CKO_PRIVATE_KEY))), (CKA_ID, [0xab, 0xcd])]))
        #expect(try matches([(CKA_LABEL, Array("v2.0.0".utf8)), (CKA_START_DATE, [])]))
        #expect(try !matches([(CKA_CLASS, AttributeEncoding.ulong(CK_ULONG(CKO_CERTIFICATE)))]))
        #expect(try !matches([(CKA_ID, [0xab])]))
        #expect(try !matches([(CKA_VALUE, [1, 2, 3])]))
        #expect(try !matches([(CKA_MODULUS, [])]))
        // A declared value without a pointer is a bad argument; an absurd length is never read.
        var missing = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_LABEL), pValue: nil, ulValueLen: 4)
        #expect(throws: CryptokiError.argumentsBad) { try AttributeTemplate.criteria(&missing, count: 1) }
        // The value's pointer must outlive the call that reads the template: allocated, not `&byte`.
        let byte = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { byte.deallocate() }
        byte.pointee = 0x76
        var huge = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_LABEL), pValue: UnsafeMutableRawPointer(byte), ulValueLen: 1 << 40)
        #expect(!AttributeTemplate.matches(Self.object, try AttributeTemplate.criteria(&huge, count: 1)))
        #expect(throws: CryptokiError.argumentsBad) { try AttributeTemplate.criteria(nil, count: 2) }
    }

    @Test("random templates never trap, and every entry ends with its value's length or CK_UNAVAILABLE_INFORMATION")
    func property() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        let types: [CK_ULONG] = [CKA_CLASS, CKA_LABEL, CKA_ID, CKA_SIGN, CKA_START_DATE, CKA_VALUE, CKA_MODULUS, CKA_EC_POINT].map { CK_ULONG($0) } + [0x8000_0001, CK_ULONG.max]
        for round in 0..<3_000 {
            let count = Int.random(in: 0...8, using: &generator)
            var spec: [(CK_ULONG, Int?)] = []
            for _ in 0..<count {
                let type = types.randomElement(using: &generator)!
                let length: Int? = [nil, 0, 1, 2, 5, 6, 8, 64].randomElement(using: &generator)!
                spec.append((type, length))
            }
            let template = Template(spec)
            let rv = template.fill(from: Self.object)
            var problems = Set<CK_RV>()
            for (index, entry) in template.entries.enumerated() {
                switch Self.object.lookup(entry.type) {
                case .value(let value):
                    if spec[index].1 == nil || spec[index].1! >= value.count {
                        #expect(entry.ulValueLen == CK_ULONG(value.count), "seed \(seed) round \(round)")
                        if spec[index].1 != nil { #expect(template.value(index) == value, "seed \(seed) round \(round)") }
                    } else {
                        #expect(entry.ulValueLen == AttributeEncoding.unavailable, "seed \(seed) round \(round)")
                        problems.insert(CK_RV(CKR_BUFFER_TOO_SMALL))
                    }
                case .sensitive:
                    #expect(entry.ulValueLen == AttributeEncoding.unavailable)
                    problems.insert(CK_RV(CKR_ATTRIBUTE_SENSITIVE))
                case .absent:
                    #expect(entry.ulValueLen == AttributeEncoding.unavailable)
                    problems.insert(CK_RV(CKR_ATTRIBUTE_TYPE_INVALID))
                }
            }
            #expect(problems.isEmpty ? rv == CK_RV(CKR_OK) : problems.contains(rv), "seed \(seed) round \(round)")
        }
    }
}
