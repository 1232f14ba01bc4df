import Foundation
import GRDB

/// Threads of their own, one read-only connection each, that run the store's listing queries in the
/// order they were asked for.
///
/// GRDB's asynchronous pool read hops four times per query (to a queue that waits on a semaphore,
/// back to the task, to the reader's queue, back again), and a listing at 32 connections spent about
/// a fifth of the server's CPU switching threads. Here a query costs two hops: the asking task parks
/// on a continuation, a reader thread takes the oldest job from one shared queue, runs it
/// synchronously on its connection and resumes the task. The threads are ordinary kernel threads, so
/// a long listing is time-sliced with everything else rather than holding a cooperative thread, and
/// the one shared queue keeps the order in which requests arrived.
final class ReaderThreads: Sendable {
    let queue: JobQueue

    /// Opens `count` read-only connections to `path` and starts one thread for each.
    init(path: String, count: Int, configuration base: Configuration) throws {
        var configuration = base
        configuration.readonly = true
        let connections = try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: configuration) }
        let queue = JobQueue()
        self.queue = queue
        for (index, connection) in connections.enumerated() {
            // The thread holds the queue and its connection, never `self`: releasing the store closes
            // the queue, and each thread then finishes the jobs left and exits, closing its connection.
            let thread = Thread {
                // Named from inside: Foundation on Linux gives the kernel only the name of a running
                // thread, and `top -H` or perf should show which threads are the store's readers.
                Thread.current.name = "signet-reader-\(index)"
                queue.serve(connection)
            }
            thread.start()
        }
    }

    deinit { queue.close() }

    /// Runs `body` on the next free reader connection (outside any transaction: one statement only, see
    /// ``SQLiteStore/readOneStatement(_:_:)``) and returns its result.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            queue.submit { connection in
                continuation.resume(with: Result { try connection.unsafeRead(body) })
            }
        }
    }

    /// First in, first out; readers wait on one condition and are woken one per job.
    final class JobQueue: @unchecked Sendable {
        typealias Job = (DatabaseQueue) -> Void
        private let condition = NSCondition()
        private var jobs: [Job] = []
        private var head = 0
        private var closed = false
        private var serving = 0

        func submit(_ job: @escaping Job) {
            condition.lock()
            let accepted = !closed
            if accepted {
                jobs.append(job)
                condition.signal()
            }
            condition.unlock()
            // Only a store being released closes its queue, and nobody can ask a released store.
            precondition(accepted, "read submitted to a closed store")
        }

        func close() {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }

        /// A reader thread's loop: returns once the queue is closed and empty.
        func serve(_ connection: DatabaseQueue) {
            condition.lock()
            serving += 1
            condition.unlock()
            while let job = next() { job(connection) }
            condition.lock()
            serving -= 1
            condition.broadcast()
            condition.unlock()
        }

        /// Whether every reader thread has returned (after ``close()``) by `deadline`.
        func threadsEnded(by deadline: Date) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while serving > 0 || !closed {
                if !condition.wait(until: deadline) { return serving == 0 && closed }
            }
            return true
        }

        private func next() -> Job? {
            condition.lock()
            defer { condition.unlock() }
            while head == jobs.count {
                if closed { return nil }
                condition.wait()
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                // A queue that never empties under load still gives back what it has served.
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }
}
