import Foundation
import SignetCore

/// Write-then-rename: the new content goes to a temporary file in the same directory, is flushed
/// to disk, and replaces the target with one `rename(2)`. A reader sees the old file or the new
/// one, never half of either, and a crash leaves at most a stray temporary file.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let directory = FilePathName.directory(of: path)
        let temporary = "\(directory)/.\(FilePathName.lastComponent(of: path)).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw SignetError(.storage, "Cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                guard written > 0 else { throw SignetError(.storage, "Cannot write \(temporary): \(String(cString: strerror(errno)))") }
                offset += written
            }
            fchmod(fd, mode)
            guard fsync(fd) == 0 else { throw SignetError(.storage, "Cannot flush \(temporary): \(String(cString: strerror(errno)))") }
        }
        guard rename(temporary, path) == 0 else { throw SignetError(.storage, "Cannot replace \(path): \(String(cString: strerror(errno)))") }
        ok = true
        let dirFD = open(directory, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        try write(Array(text.utf8), to: path, mode: mode)
    }
}
