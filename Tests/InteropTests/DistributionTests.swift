import Foundation
import SignetTestSupport
import Testing

/// The installable client: `signet` carries the Swift runtime and Foundation inside (Package.swift links
/// it with -static-stdlib, the same link `make dist` ships), so it runs on a machine without Swift. Judged
/// by ldd and by running it with the toolchain's libraries hidden (a private mount namespace with an
/// empty directory over them: needs root, as CI has). The tarball `make dist` made is checked the same
/// way when there is one (`make dist` first; see README "Tests").
@Suite(.serialized) struct DistributionTests {
    /// Where the toolchain keeps libswiftCore.so and Foundation's shared libraries.
    static let toolchainLibraries: String? = {
        guard let swift = ProcessRunner.which("swift") else { return nil }
        let resolved = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        let path = resolved.appendingPathComponent("lib/swift/linux").path
        return FileManager.default.fileExists(atPath: path + "/libswiftCore.so") ? path : nil
    }()

    static let distTarball: String? = {
        let directory = TestEnvironment.repositoryRoot + "/dist"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("signet-") && $0.hasSuffix(".tar.gz") }.sorted().last.map { directory + "/" + $0 }
    }()

    /// Whether this process may mount in a private namespace (root, and not a container that forbids it).
    static let canHide: Bool = {
        guard getuid() == 0, ProcessRunner.which("unshare") != nil else { return false }
        return (try? ProcessRunner.run("unshare", ["--mount", "--propagation", "private", "true"]).succeeded) == true
    }()

    /// Runs `binary` with `arguments` with the toolchain's libraries hidden when possible (root), else as is.
    static func runWithoutSwift(_ binary: String, _ arguments: [String], directory: String) throws -> (ProcessResult, hidden: Bool) {
        let clean: [String: String?] = ["LD_LIBRARY_PATH": nil, "SIGNET_HSM_PIN": nil, "SIGNET_TOKEN": nil, "SIGNET_URL": nil]
        if canHide, let libraries = toolchainLibraries {
            let empty = TestEnvironment.temporaryDirectory("empty")
            let quoted = ([binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
            let script = "mount --bind '\(empty)' '\(libraries)' && test ! -e '\(libraries)/libswiftCore.so' && exec \(quoted)"
            return (try ProcessRunner.run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], environment: clean, directory: directory), true)
        }
        return (try ProcessRunner.run(binary, arguments, environment: clean, directory: directory), false)
    }

    /// What a machine without Swift must be able to do with `binary`.
    static func checkRunsWithoutSwift(_ binary: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ldd = try OpenSSL.check(ProcessRunner.run("ldd", [binary]), "ldd")
        let swiftLibraries = ldd.output.split(separator: "\n").filter {
            ["libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime"].contains(where: $0.contains)
        }
        #expect(swiftLibraries.isEmpty, "\(binary) needs Swift's shared libraries: \(swiftLibraries)", sourceLocation: sourceLocation)
        let directory = TestEnvironment.temporaryDirectory("noswift")
        let (version, hidden) = try runWithoutSwift(binary, ["--version"], directory: directory)
        #expect(version.succeeded && version.output.hasPrefix("signet "), "\(version.stderr)", sourceLocation: sourceLocation)
        // A CA home from nowhere (HSM, SQLite, the built-in profiles) and a client call (HTTP stack) that finds no server.
        let (initialised, _) = try runWithoutSwift(binary, ["init", "--home", "home"], directory: directory)
        #expect(initialised.succeeded && initialised.output.contains("Root fingerprint"), "\(initialised.stderr)", sourceLocation: sourceLocation)
        try "sgt_00000000_placeholder\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let (unreachable, _) = try runWithoutSwift(binary, ["profiles", "--url", "http://127.0.0.1:9", "--token-file", "token"], directory: directory)
        #expect(unreachable.status == 6, "\(unreachable.stderr)", sourceLocation: sourceLocation)
        if !hidden { print("DistributionTests: no private mount namespace here (not root, or forbidden), so \(binary) ran with the toolchain's libraries in place; ldd alone judged it") }
    }

    @Test("signet links the Swift runtime and Foundation in, and runs with the toolchain's libraries hidden")
    func staticallyLinked() throws {
        try Self.checkRunsWithoutSwift(ProcessRunner.signetBinary)
    }

    @Test("make dist's tarball: its SHA-256 file matches, it unpacks to signet-<version>-linux-<arch>/signet, which names its commit and runs without Swift",
          .enabled(if: DistributionTests.distTarball != nil, "no dist/*.tar.gz: run `make dist` first"))
    func tarball() throws {
        let tarball = try #require(Self.distTarball)
        let directory = (tarball as NSString).deletingLastPathComponent
        let name = (tarball as NSString).lastPathComponent
        let checked = try ProcessRunner.run("sha256sum", ["-c", name + ".sha256"], directory: directory)
        #expect(checked.succeeded, "\(checked.output) \(checked.stderr)")
        let unpacked = TestEnvironment.temporaryDirectory("dist")
        try OpenSSL.check(ProcessRunner.run("tar", ["-xzf", tarball, "-C", unpacked]), "tar")
        let folder = String(name.dropLast(".tar.gz".count))
        let binary = unpacked + "/" + folder + "/signet"
        let version = try OpenSSL.check(ProcessRunner.run(binary, ["--version"]), "--version").output
        let machine = try OpenSSL.check(ProcessRunner.run("uname", ["-m"]), "uname").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(folder.hasPrefix("signet-") && folder.hasSuffix("-linux-" + machine))
        #expect(version.contains("(commit ") && folder.contains(version.split(separator: " ")[1]), "\(version)")
        try Self.checkRunsWithoutSwift(binary)
    }
}
