import Foundation
import SignetCore

/// The password of a PKCS #12 keystore: from `SIGNET_P12_PASSWORD`, else asked on the terminal with echo
/// off (twice, when a new keystore is made). Never an argument: arguments end up in `ps` and shell history.
public enum KeystorePassword {
    public static let environmentVariable = "SIGNET_P12_PASSWORD"

    /// The password, or an error that says how to give one when there is no terminal to ask on.
    public static func obtain(environment: [String: String], confirm: Bool) throws -> String {
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return try checked(fromEnvironment) }
        guard let first = try prompt("Password for the PKCS #12 keystore: ") else {
            throw SignetError.malformed("No keystore password: set \(environmentVariable), or run in a terminal to be asked (it is never taken from arguments)")
        }
        if confirm {
            guard try prompt("Again, to confirm: ") == first else { throw SignetError.malformed("The two passwords differ; nothing was written") }
        }
        return try checked(first)
    }

    /// Java (jarsigner, keytool) opens PBES2 keystores only under printable ASCII passwords; a keystore
    /// it cannot open is refused here rather than discovered at signing time.
    static func checked(_ password: String) throws -> String {
        guard !password.isEmpty else { throw SignetError.malformed("The keystore password may not be empty") }
        guard password.unicodeScalars.allSatisfy({ (0x20...0x7e).contains($0.value) }) else {
            throw SignetError.malformed("Expected a keystore password of printable ASCII characters (Java's keystores accept no others)")
        }
        return password
    }

    /// Reads a line from the controlling terminal with echo off; nil when there is no terminal.
    static func prompt(_ text: String) throws -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            _ = "\n".withCString { write(fd, $0, 1) }
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            line.append(byte)
            guard line.count <= 1024 else { throw SignetError.malformed("The password is longer than 1,024 bytes") }
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }
}
