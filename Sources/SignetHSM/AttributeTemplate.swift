import CPKCS11
import Foundation

/// A PKCS#11 attribute template whose value buffers stay alive for the duration of a call.
/// `CK_ATTRIBUTE` holds raw pointers, so the template owns and frees every buffer it hands out;
/// the attributes are reachable only inside ``withAttributes(_:)``, which keeps the template (and so
/// the buffers) alive until the call returns. (Handing out the array instead let Swift free the
/// template after its last use, before the token read the buffers: a use-after-free.)
final class AttributeTemplate {
    private var attributes: [CK_ATTRIBUTE] = []
    private var buffers: [UnsafeMutableRawPointer] = []

    init() {}

    deinit { for buffer in buffers { buffer.deallocate() } }

    func add(_ type: UInt, _ value: Bool) {
        add(type, bytes: [value ? UInt8(CK_TRUE) : UInt8(CK_FALSE)])
    }

    func add(_ type: UInt, ulong value: UInt) {
        var v = CK_ULONG(value)
        add(type, bytes: withUnsafeBytes(of: &v) { Array($0) })
    }

    func add(_ type: UInt, bytes: [UInt8]) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: MemoryLayout<CK_ULONG>.alignment)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
        buffers.append(buffer)
        attributes.append(CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: buffer, ulValueLen: CK_ULONG(bytes.count)))
    }

    var count: CK_ULONG { CK_ULONG(attributes.count) }

    /// Runs `body` with a pointer to the attributes and their count, the buffers guaranteed alive.
    func withAttributes<Result>(_ body: (UnsafeMutablePointer<CK_ATTRIBUTE>?, CK_ULONG) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self) {
            var copy = attributes
            let count = CK_ULONG(copy.count)
            return try copy.withUnsafeMutableBufferPointer { try body($0.baseAddress, count) }
        }
    }
}
