import Foundation
import SignetCore

/// Writes the files a client command produces (a key, a certificate, its chain, a keystore, the client
/// configuration) so that all of them appear, complete, or none does, and nothing existing is replaced
/// unless the caller says so. Each file is written to a temporary file beside it, flushed with its final
/// mode already set (a key is never readable by others, not even for a moment), and moved into place
/// only when every one of them is written: with `link(2)` when nothing may be replaced (which fails
/// rather than replace a file that appeared meanwhile), with `rename(2)` otherwise, keeping a link to
/// each replaced file until the last rename so a failure puts the old files back. The CA host's own
/// single-file writer (`AtomicFile` in SignetStore) is not shared: the client must not depend on the store.
public enum OutputFiles {
    public struct File: Sendable {
        public let path: String
        public let bytes: [UInt8]
        public let mode: mode_t

        public init(path: String, bytes: [UInt8], mode: mode_t) {
            self.path = path
            self.bytes = bytes
            self.mode = mode
        }
    }

    /// Whether something (a file, a link, a directory) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func write(_ files: [File], overwrite: Bool) throws {
        if !overwrite {
            let present = files.map(\.path).filter(exists)
            guard present.isEmpty else {
                throw SignetError.conflict("\(present.joined(separator: ", ")) already \(present.count == 1 ? "exists" : "exist"); pass --force to replace, or choose another --out")
            }
        }
        var temporaries: [String] = []
        defer { for path in temporaries { unlink(path) } }
        for file in files {
            temporaries.append(try writeTemporary(file))
        }
        var placed: [(path: String, backup: String?)] = []
        do {
            for (file, temporary) in zip(files, temporaries) {
                if overwrite {
                    var backup: String? = nil
                    if exists(file.path) {
                        let candidate = sibling(of: file.path, suffix: "bak")
                        guard link(file.path, candidate) == 0 else { throw failure("keep the old \(file.path) until the new one is in place") }
                        backup = candidate
                    }
                    guard rename(temporary, file.path) == 0 else {
                        let error = failure("replace \(file.path)")
                        if let backup { unlink(backup) }
                        throw error
                    }
                    placed.append((file.path, backup))
                } else {
                    guard link(temporary, file.path) == 0 else {
                        if errno == EEXIST { throw SignetError.conflict("\(file.path) appeared while it was being written; nothing was written") }
                        throw failure("create \(file.path)")
                    }
                    placed.append((file.path, nil))
                }
            }
        } catch {
            // Put everything back as it was: new files removed, replaced ones restored.
            for (path, backup) in placed.reversed() {
                if let backup { rename(backup, path) } else { unlink(path) }
            }
            throw error
        }
        for case let (_, backup?) in placed { unlink(backup) }
        for directory in Set(files.map { directoryOf($0.path) }) {
            let fd = open(directory, O_RDONLY)
            if fd >= 0 {
                fsync(fd)
                close(fd)
            }
        }
    }

    /// Writes `file`'s bytes to a new temporary file beside it, mode set and flushed; returns its path.
    static func writeTemporary(_ file: File) throws -> String {
        let temporary = sibling(of: file.path, suffix: "tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, file.mode)
        guard fd >= 0 else {
            throw failure("write \(file.path)", hint: errno == ENOENT ? " (does the directory \(directoryOf(file.path)) exist?)" : "")
        }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temporary) }
        }
        guard fchmod(fd, file.mode) == 0 else { throw failure("set the mode of \(file.path)") }
        var offset = 0
        while offset < file.bytes.count {
            let written = file.bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw failure("write \(file.path)") }
            offset += written
        }
        guard fsync(fd) == 0 else { throw failure("flush \(file.path)") }
        ok = true
        return temporary
    }

    static func directoryOf(_ path: String) -> String {
        FilePathName.directory(of: path)
    }

    static func sibling(of path: String, suffix: String) -> String {
        "\(directoryOf(path))/.\(FilePathName.lastComponent(of: path)).\(UInt32.random(in: 0...UInt32.max)).\(suffix)"
    }

    static func failure(_ what: String, hint: String = "") -> SignetError {
        SignetError(.storage, "Cannot \(what): \(String(cString: strerror(errno)))\(hint)")
    }
}
