import Foundation
@testable import SignetServer
import Testing

/// The request log's writer: JSON lines built by hand must be valid JSON, and a log nobody reads
/// must cost the server dropped lines (counted and reported), never a blocked thread.
@Suite struct LogWriterTests {
    @Test("a log line is one JSON object with sorted keys, escapes and a UTC millisecond timestamp")
    func lineFormat() throws {
        let line = JSONLogHandler.line(level: "info", label: "signet", message: "say \"hi\"\n\tback\\slash", metadata: ["path": "/ocsp/a+b", "ctl": "\u{01}é", "msg": "ignored"],
                                       now: Date(timeIntervalSince1970: 1_900_000_000.0625))
        #expect(line.last == 0x0a && line.filter { $0 == 0x0a }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: String])
        #expect(object == ["ts": "2030-03-17T17:46:40.062Z", "level": "info", "label": "signet", "msg": "say \"hi\"\n\tback\\slash",
                           "path": "/ocsp/a+b", "ctl": "\u{01}é"])
        let text = String(decoding: line, as: UTF8.self)
        let positions = ["ctl", "label", "level", "msg", "path", "ts"].map { text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted(), "keys in sorted order: \(text)")
    }

    @Test("a reader that stops reading: appends never block, lines past the buffer are dropped and counted, and the drop is reported once written")
    func stalledReader() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = LogWriter(descriptor: fds[1], capacity: 64 * 1024, interval: 0.01)
        let line = JSONLogHandler.line(level: "info", label: "signet", message: "request", metadata: ["path": "/ocsp", "status": "200", "pad": String(repeating: "x", count: 100)])
        let appended = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<20_000 { writer.append(line) }
            appended.signal()
        }.start()
        #expect(appended.wait(timeout: .now() + 60) == .success, "appending to a log nobody reads must not block")
        let dropped = writer.droppedLines
        #expect(dropped > 10_000, "about 3 MB into 128 KiB of pipe and buffer: \(dropped) dropped")

        // Someone reads again: what was kept comes out, then a warning with the count.
        let output = Locked<[UInt8]>([])
        let drained = DispatchSemaphore(value: 0)
        let readEnd = fds[0]
        Thread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count <= 0 { break }
                output.withLock { $0.append(contentsOf: chunk[..<count]) }
            }
            drained.signal()
        }.start()
        writer.flush()
        close(fds[1])
        #expect(drained.wait(timeout: .now() + 30) == .success)
        let lines = try output.withLock { $0 }.split(separator: 0x0a).map { try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: String]) }
        // Drops are reported as they are noticed, so possibly in more than one warning; together they count every one.
        let warnings = lines.filter { $0["level"] == "warning" }
        #expect(!warnings.isEmpty && warnings.allSatisfy { $0["msg"]?.contains("dropped") == true })
        #expect(warnings.compactMap { Int($0["dropped"] ?? "") }.reduce(0, +) == dropped)
        #expect(lines.count - warnings.count == 20_000 - dropped)
    }
}

/// A value behind a lock, for the reader thread above.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
