import Foundation

/// A PKCS#11 module that wraps the real SoftHSM2 and fails on command (`Tests/FaultInjection/faulty_pkcs11.c`),
/// built once per test process with the system C compiler. A home whose `hsm.module` names it runs on
/// the real token until a test writes a fault into the control file the server was started with.
public enum FaultyPKCS11 {
    /// The faults the module knows; see the C file's header for what each does at the boundary.
    public enum Fault: Sendable {
        case none
        /// C_Sign fails with CKR_DEVICE_ERROR.
        case signFails
        /// The token closes every session once (as when a network HSM reconnects), identified by `generation`.
        case dropSessions(generation: Int)
        /// The token is gone: no session opens, every call fails, until the fault is cleared.
        case tokenGone

        var line: String {
            switch self {
            case .none: return ""
            case .signFails: return "sign-fails"
            case .dropSessions(let generation): return "drop-sessions \(generation)"
            case .tokenGone: return "token-gone"
            }
        }
    }

    private static let built = NSLock()
    nonisolated(unsafe) private static var builtPath: String?

    /// The shared object, compiled on first use.
    public static func library() throws -> String {
        built.lock()
        defer { built.unlock() }
        if let builtPath { return builtPath }
        let output = TestEnvironment.temporaryDirectory("faulty-pkcs11") + "/libfaulty-pkcs11.so"
        let source = TestEnvironment.repositoryRoot + "/Tests/FaultInjection/faulty_pkcs11.c"
        try OpenSSL.check(ProcessRunner.run("cc", ["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", output, source, "-ldl", "-lpthread"]),
                          "building the fault-injecting PKCS#11 module")
        builtPath = output
        return output
    }

    /// A control file for one server: write a fault to it and the module in that process obeys at its next call.
    public final class Control: Sendable {
        public let path: String

        public init() {
            path = TestEnvironment.temporaryDirectory("fault-control") + "/fault"
            set(.none)
        }

        public func set(_ fault: Fault) {
            try? Data((fault.line + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }

        /// The environment that makes a process loading the module read this control file.
        public var environment: [String: String?] { ["FAULTY_PKCS11_CONTROL": path] }
    }

    /// Points `home`'s `hsm.module` at the fault-injecting module (made with the real SoftHSM2 one).
    public static func install(in home: String) throws {
        let module = try library()
        let configPath = home + "/config.yaml"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        let lines = config.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("module:") else { return String(line) }
            let indent = line.prefix { $0 == " " }
            return "\(indent)module: \(module)"
        }
        try lines.joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }
}
