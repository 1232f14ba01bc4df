#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The module's voice: one line on stderr, prefixed `signet-pkcs11:`. A PKCS#11 module runs inside
/// someone else's process, so it stays silent unless `SIGNET_PKCS11_DEBUG=1`, except for a
/// configuration C_Initialize refuses, which nothing else would explain. Never given a credential.
public struct Diagnostics: Sendable {
    public let enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Written only under SIGNET_PKCS11_DEBUG=1.
    public func debug(_ message: @autoclosure () -> String) {
        if enabled { Self.emit(message()) }
    }

    /// Written always.
    public static func emit(_ message: String) {
        var line = Array("signet-pkcs11: \(message)\n".utf8)
        line.withUnsafeMutableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
