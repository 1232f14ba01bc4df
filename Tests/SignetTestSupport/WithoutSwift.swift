import Foundation

/// Runs a program as on a machine without a Swift toolchain, for what Signet ships to such machines
/// (libsignet-pkcs11.so inside other people's tools): the toolchain's shared libraries (libswiftCore.so,
/// Foundation, libdispatch) are hidden by an empty directory bind-mounted over them in a private mount
/// namespace, so anything that still needed them would fail to load. That needs root (CI has it);
/// elsewhere the program runs as it is and `ldd` alone judges the library.
///
/// Core dumps are enabled (`ulimit -c unlimited`) for the program, so a crash leaves a core file in its
/// working directory (core_pattern permitting) for the caller to look for.
public enum WithoutSwift {
    /// Where the toolchain keeps libswiftCore.so and Foundation's shared libraries.
    public static let toolchainLibraries: String? = {
        guard let swift = ProcessRunner.which("swift") else { return nil }
        let toolchain = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        let path = toolchain.appendingPathComponent("lib/swift/linux").path
        return FileManager.default.fileExists(atPath: path + "/libswiftCore.so") ? path : nil
    }()

    /// Whether programs run here really have the toolchain hidden from them.
    public static let hidesToolchain: Bool = {
        guard getuid() == 0, toolchainLibraries != nil, ProcessRunner.which("unshare") != nil,
              let probe = try? ProcessRunner.run("unshare", ["--mount", "--propagation", "private", "true"]) else { return false }
        return probe.succeeded
    }()

    /// An empty directory to mount over the toolchain's libraries.
    static let emptyDirectory = TestEnvironment.temporaryDirectory("no-swift")

    /// Runs `tool` with `arguments` with the toolchain hidden when ``hidesToolchain``, and core dumps on.
    public static func run(_ tool: String, _ arguments: [String], environment: [String: String?] = [:], directory: String? = nil) throws -> ProcessResult {
        let executable = tool.hasPrefix("/") ? tool : (ProcessRunner.which(tool) ?? tool)
        // Positional parameters, never text pasted into the script: arguments hold paths and URIs with ';'.
        if hidesToolchain, let libraries = toolchainLibraries {
            let script = "mount --bind \"$1\" \"$2\" && test ! -e \"$2/libswiftCore.so\" || exit 125; shift 2; ulimit -c unlimited 2>/dev/null; exec \"$@\""
            return try ProcessRunner.run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", emptyDirectory, libraries, executable] + arguments,
                                         environment: environment, directory: directory)
        }
        return try ProcessRunner.run("sh", ["-c", "ulimit -c unlimited 2>/dev/null; exec \"$@\"", "sh", executable] + arguments,
                                     environment: environment, directory: directory)
    }

    /// The Swift shared libraries `library` would load (from `ldd`): none for a library that carries its runtime.
    public static func swiftLibrariesNeeded(by library: String) throws -> [String] {
        let ldd = try OpenSSL.check(ProcessRunner.run("ldd", [library]), "ldd \(library)")
        return ldd.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { line in
            ["libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime"].contains(where: line.contains)
                || toolchainLibraries.map { line.contains($0) } == true
        }
    }
}
