/// PKCS#11's fixed-width text fields (labels, manufacturer, model, serial): UTF-8 padded with blanks,
/// not terminated (PKCS#11 §3.2). A longer text is cut at a character boundary.
public enum BlankPadded {
    public static func write(_ text: String, to buffer: UnsafeMutableRawBufferPointer) {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard bytes.count + encoded.count <= buffer.count else { break }
            bytes.append(contentsOf: encoded)
        }
        for index in 0..<buffer.count {
            buffer[index] = index < bytes.count ? bytes[index] : UInt8(ascii: " ")
        }
    }

    /// Writes `text` into a C character array member (imported as a tuple).
    public static func write<Field>(_ text: String, into field: inout Field) {
        withUnsafeMutableBytes(of: &field) { write(text, to: $0) }
    }
}
