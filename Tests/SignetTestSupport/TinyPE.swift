/// A minimal valid PE32 executable (one `.text` section: `xor eax, eax; ret`), built from the PE/COFF
/// specification's required fields so tests can Authenticode-sign something real without shipping a
/// binary. 1,024 bytes: headers in the first 512, code in the second.
public enum TinyPE {
    public static func make() -> [UInt8] {
        var image = [UInt8](repeating: 0, count: 0x400)
        func put16(_ value: UInt16, _ at: Int) { image[at] = UInt8(value & 0xff); image[at + 1] = UInt8(value >> 8) }
        func put32(_ value: UInt32, _ at: Int) { for i in 0..<4 { image[at + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) } }
        // DOS header: "MZ" and e_lfanew = 0x40.
        image[0] = UInt8(ascii: "M"); image[1] = UInt8(ascii: "Z")
        put32(0x40, 0x3c)
        // PE signature and COFF file header: i386, one section, 0xE0-byte optional header, executable 32-bit.
        let pe = 0x40
        image[pe] = UInt8(ascii: "P"); image[pe + 1] = UInt8(ascii: "E")
        put16(0x014c, pe + 4); put16(1, pe + 6); put16(0xE0, pe + 20); put16(0x0102, pe + 22)
        // Optional header (PE32).
        let opt = pe + 24
        put16(0x010b, opt); image[opt + 2] = 1
        put32(0x200, opt + 4)            // SizeOfCode
        put32(0x1000, opt + 16)          // AddressOfEntryPoint
        put32(0x1000, opt + 20)          // BaseOfCode
        put32(0x1000, opt + 24)          // BaseOfData
        put32(0x0040_0000, opt + 28)     // ImageBase
        put32(0x1000, opt + 32)          // SectionAlignment
        put32(0x200, opt + 36)           // FileAlignment
        put16(4, opt + 40)               // MajorOperatingSystemVersion
        put16(4, opt + 48)               // MajorSubsystemVersion
        put32(0x2000, opt + 56)          // SizeOfImage
        put32(0x200, opt + 60)           // SizeOfHeaders
        put16(3, opt + 68)               // Subsystem: console
        put16(0x8540, opt + 70)          // DllCharacteristics: dynamic base, NX, no SEH, terminal server aware
        put32(0x0010_0000, opt + 72); put32(0x1000, opt + 76); put32(0x0010_0000, opt + 80); put32(0x1000, opt + 84)
        put32(16, opt + 92)              // NumberOfRvaAndSizes (the security directory is entry 4)
        // Section header ".text".
        let section = opt + 0xE0
        for (i, c) in ".text".utf8.enumerated() { image[section + i] = c }
        put32(0x1000, section + 8); put32(0x1000, section + 12); put32(0x200, section + 16); put32(0x200, section + 20)
        put32(0x6000_0020, section + 36)
        // Code: xor eax, eax; ret.
        image[0x200] = 0x31; image[0x201] = 0xc0; image[0x202] = 0xc3
        return image
    }
}
