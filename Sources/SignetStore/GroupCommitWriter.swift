import Foundation
import GRDB
import SignetCore

/// Group commit. Writes that arrive while a commit is in progress are gathered and committed together
/// in one IMMEDIATE transaction, so many concurrent callers share one fsync instead of paying one
/// each. Every write runs in its own SAVEPOINT: one that throws is rolled back alone and its caller
/// gets the error, while the others commit. No caller is answered before the transaction holding its
/// write has committed, so durability is exactly that of one transaction per write.
final class GroupCommitWriter: @unchecked Sendable {
    private final class Job: @unchecked Sendable {
        let run: (Database) throws -> Any
        let resume: (Result<Any, any Error>) -> Void
        var result: Result<Any, any Error>?

        init(run: @escaping (Database) throws -> Any, resume: @escaping (Result<Any, any Error>) -> Void) {
            self.run = run
            self.resume = resume
        }
    }

    private let pool: DatabasePool
    private let lock = NSLock()
    private var pending: [Job] = []
    private var flushing = false
    /// Upper bound on writes per transaction, so one commit never holds the lock for long.
    static let maximumBatch = 256

    init(pool: DatabasePool) {
        self.pool = pool
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(run: { db in try body(db) }, resume: { result in continuation.resume(with: result.map { $0 as! T }) })
            lock.lock()
            pending.append(job)
            let start = !flushing
            if start { flushing = true }
            lock.unlock()
            if start { Task.detached { await self.drain() } }
        }
    }

    /// Returns once no write is queued or being committed.
    func waitUntilIdle() async {
        while lock.withLock({ flushing }) {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// The next batch; an empty one means the queue is drained and the next writer starts a new drain.
    private func takeBatch() -> [Job] {
        lock.withLock {
            let batch = Array(pending.prefix(Self.maximumBatch))
            pending.removeFirst(batch.count)
            if batch.isEmpty { flushing = false }
            return batch
        }
    }

    private func drain() async {
        while true {
            let batch = takeBatch()
            guard !batch.isEmpty else { return }
            do {
                try await pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for job in batch {
                            do {
                                try db.inSavepoint {
                                    job.result = .success(try job.run(db))
                                    return .commit
                                }
                            } catch {
                                job.result = .failure(error)
                            }
                        }
                        return .commit
                    }
                }
                for job in batch { job.resume(job.result ?? .failure(SignetError(.storage, "write was not run"))) }
            } catch {
                for job in batch { job.resume(.failure(error)) }
            }
        }
    }
}
