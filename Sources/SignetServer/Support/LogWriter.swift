import Foundation
import Metrics
#if canImport(Glibc)
import Glibc
#endif

/// Writes log lines to a file descriptor (stderr) from a thread of its own, so that logging never
/// makes a request wait for the disk or a pipe.
///
/// Callers append a finished line to a bounded buffer and return; the writer thread wakes when
/// the buffer gets its first line, lets lines gather for up to `interval` (or until a quarter of
/// the buffer is used, or an error is logged), and writes them all with one `write(2)`. When the
/// buffer is full — the disk or the reader of the pipe is slower than the server — new lines are
/// dropped and counted (`signet_log_lines_dropped_total`, and a warning line saying how many once
/// there is room again) instead of blocking the thread that logs, which may be an event loop.
/// ``flush()`` waits until everything appended so far is written (at shutdown).
public final class LogWriter: @unchecked Sendable {
    /// The server's log: stderr, 4 MiB of buffer, lines gathered for up to 100 ms.
    public static let standardError = LogWriter(descriptor: 2)

    let descriptor: Int32
    let capacity: Int
    let interval: TimeInterval
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var spare: [UInt8] = []
    private var urgent = false
    /// Bytes appended and written since start, so ``flush()`` knows when its lines are out.
    private var appended = 0
    private var written = 0
    private var dropped = 0
    private var droppedReported = 0
    private var started = false
    private let droppedCounter = Counter(label: "signet_log_lines_dropped_total")

    public init(descriptor: Int32, capacity: Int = 4 << 20, interval: TimeInterval = 0.1) {
        self.descriptor = descriptor
        self.capacity = max(4096, capacity)
        self.interval = interval
    }

    /// Lines dropped because the buffer was full, since start.
    public var droppedLines: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    /// Queues one line (with its newline). `urgent` lines (errors) are written without gathering.
    /// Never blocks on I/O.
    public func append(_ line: [UInt8], urgent: Bool = false) {
        condition.lock()
        if !started {
            started = true
            let thread = Thread { [self] in
                Thread.current.name = "signet-log"
                run()
            }
            thread.start()
        }
        guard buffer.count + line.count <= capacity else {
            dropped += 1
            condition.unlock()
            droppedCounter.increment()
            return
        }
        let wasEmpty = buffer.isEmpty
        buffer.append(contentsOf: line)
        appended += line.count
        if urgent { self.urgent = true }
        // Wake the writer for a first line (it then gathers), an error, or a buffer filling up.
        if wasEmpty || urgent || buffer.count >= capacity / 4 { condition.signal() }
        condition.unlock()
    }

    /// Waits until every line appended before the call has been written.
    public func flush() {
        condition.lock()
        let target = appended
        guard started else {
            condition.unlock()
            return
        }
        urgent = true
        condition.broadcast()
        while written < target { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while buffer.isEmpty { condition.wait() }
            if !urgent && buffer.count < capacity / 4 {
                // Gather: one write for many lines. A first line waits at most `interval`.
                let deadline = Date(timeIntervalSinceNow: interval)
                while !urgent && buffer.count < capacity / 4 && condition.wait(until: deadline) {}
            }
            urgent = false
            swap(&buffer, &spare)
            let missed = dropped - droppedReported
            droppedReported = dropped
            condition.unlock()
            writeAll(spare)
            let count = spare.count
            spare.removeAll(keepingCapacity: true)
            if missed > 0 {
                writeAll(JSONLogHandler.line(level: "warning", label: "signet", message: "log lines dropped: the log could not keep up",
                                             metadata: ["dropped": "\(missed)"]))
            }
            condition.lock()
            written += count
            condition.broadcast()
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let result = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result > 0 {
                    offset += result
                } else if result < 0 && (errno == EINTR || errno == EAGAIN) {
                    if errno == EAGAIN { usleep(1000) }
                } else {
                    return  // the log is gone (closed pipe, full disk): nothing better to do with the lines
                }
            }
        }
    }
}
