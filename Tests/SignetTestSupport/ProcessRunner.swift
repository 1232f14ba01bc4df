import Foundation

/// Runs real programs (the `signet` binary, openssl, pkilint, pkcs11-tool) and captures their output.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: String
    /// The process was ended by a signal (a trap is SIGILL or SIGTRAP); `status` is then the signal.
    public var signaled = false
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    public var succeeded: Bool { status == 0 }
}

public enum ProcessRunner {
    /// Finds `name` on PATH (and in the usual pip script directories).
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let dirs = path.split(separator: ":").map(String.init) + [home + "/.local/bin", "/usr/local/bin", home + "/.pyenv/shims"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The `signet` executable built next to the test bundle.
    public static var signetBinary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("signet").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("signet").path,
            TestEnvironment.repositoryRoot + "/.build/debug/signet",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[2]
    }

    /// Runs `executable` with `arguments`; `environment` entries are added to (or, with nil, removed from) this process's.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String?] = [:], stdin: [UInt8]? = nil,
                           directory: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : (which(executable) ?? executable))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try? input.fileHandleForWriting.close()
        let outData = LockedData()
        let errData = LockedData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData.set(out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(status: process.terminationStatus, stdout: Array(outData.get()), stderr: String(decoding: errData.get(), as: UTF8.self),
                             signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Runs the `signet` binary.
    @discardableResult
    public static func signet(_ arguments: [String], environment: [String: String?] = [:], stdin: [UInt8]? = nil) throws -> ProcessResult {
        try run(signetBinary, arguments, environment: environment, stdin: stdin)
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
