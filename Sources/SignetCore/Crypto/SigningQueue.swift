import Foundation

/// The HSM's waiting room: signatures asked for by requests run here, on threads of the queue's
/// own (one per HSM session), never on the thread that asked.
///
/// A token call blocks its thread for as long as the token takes: a few dozen microseconds for
/// SoftHSM2, a network round trip for an HSM across the network, and arbitrarily long when every
/// session is busy and the session pool makes the caller wait. Made on a network event loop, that
/// wait stalls every connection the loop serves; made on a Swift concurrency thread, it takes one
/// of the few threads everything else runs on. Here only the queue's threads wait for the token.
///
/// The queue is bounded: at most ``Settings/capacity`` signatures wait for a thread. A request
/// that finds the queue full is refused at once with ``SignetError/Code/hsmBusy`` (retry after a
/// second) instead of joining a queue longer than any client would wait for, so a burst costs its
/// excess a quick refusal and the server's memory stays flat. Work that must happen whatever the
/// load (CRLs, rotation) is admitted ``Admission/always``.
public final class SigningQueue: Sendable {
    /// How many threads sign at once and how many signatures may wait for them.
    public struct Settings: Sendable, Equatable {
        /// Threads that call the token; one per HSM session, so none of them waits for a session.
        public var threads: Int
        /// Signatures that may wait for a thread before requests are refused.
        public var capacity: Int

        public init(threads: Int, capacity: Int) {
            self.threads = max(1, threads)
            self.capacity = max(0, capacity)
        }

        /// Four threads (the default `hsm.sessions`) and 256 waiting signatures: at SoftHSM2's pace
        /// a full queue drains in a few milliseconds, at a network HSM's in well under a second.
        public static let standard = Settings(threads: 4, capacity: 256)
    }

    /// Whether a job may be refused when the queue is full.
    public enum Admission: Sendable {
        /// A request's signature: refused with ``SignetError/Code/hsmBusy`` when the queue is full.
        case bounded
        /// Housekeeping that must not be dropped (CRLs, rotation): queued whatever the length.
        case always
    }

    public typealias Job = @Sendable () -> Void

    public let settings: Settings
    private let workers: Workers

    public init(settings: Settings = .standard) {
        self.settings = settings
        self.workers = Workers(settings: settings)
    }

    deinit { workers.close() }

    /// Queues `job` to run on one of the queue's threads; `false` (and `job` dropped) when the queue
    /// is full and `admission` is ``Admission/bounded``. Never blocks.
    public func trySubmit(_ admission: Admission = .bounded, _ job: @escaping Job) -> Bool {
        workers.submit(admission, job)
    }

    /// Runs `body` on one of the queue's threads and returns its result; throws
    /// ``SignetError/Code/hsmBusy`` without running it when the queue is full.
    public func run<Result: Sendable>(_ admission: Admission = .bounded, _ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let accepted = workers.submit(admission) { continuation.resume(with: Swift.Result { try body() }) }
            if !accepted { continuation.resume(throwing: busyError) }
        }
    }

    /// Throws ``SignetError/Code/hsmBusy`` if the queue is full now: for work that must not start
    /// (reserve a serial, say) unless its signature can be queued.
    public func checkCapacity() throws {
        if workers.waiting >= settings.capacity { throw busyError }
    }

    /// The refusal for a full queue.
    public var busyError: SignetError {
        SignetError(.hsmBusy, "All \(settings.threads) HSM sessions are busy and \(settings.capacity) signatures are already waiting; try again in 1 s",
                    retryAfter: 1)
    }

    /// Signatures waiting for a thread now.
    public var waiting: Int { workers.waiting }

    /// Jobs refused because the queue was full, since start.
    public var refused: Int { workers.refused }

    /// What a new signing thread needs, passed through `pthread_create`'s context pointer.
    private final class WorkerStart {
        let workers: Workers
        let name: String
        init(workers: Workers, name: String) {
            self.workers = workers
            self.name = name
        }
    }

    /// The threads and their queue. A separate object, so the threads never keep the queue alive:
    /// when the queue goes, its threads finish what is queued and end.
    private final class Workers: @unchecked Sendable {
        let settings: Settings
        private let condition = NSCondition()
        /// Pending jobs from `head` on; the consumed prefix is dropped when it grows.
        private var jobs: [Job?] = []
        private var head = 0
        private var started = 0
        private var closed = false
        private var refusedCount = 0

        init(settings: Settings) { self.settings = settings }

        var waiting: Int {
            condition.lock()
            defer { condition.unlock() }
            return jobs.count - head
        }

        var refused: Int {
            condition.lock()
            defer { condition.unlock() }
            return refusedCount
        }

        func submit(_ admission: Admission, _ job: @escaping Job) -> Bool {
            condition.lock()
            if admission == .bounded && jobs.count - head >= settings.capacity {
                refusedCount += 1
                condition.unlock()
                return false
            }
            jobs.append(job)
            // Threads start with the first job, so a process that never signs (most CLI commands) has none.
            let start = started < settings.threads ? settings.threads - started : 0
            started += start
            condition.signal()
            condition.unlock()
            for index in 0..<start { spawn(number: settings.threads - start + index + 1) }
            return true
        }

        /// Lets the threads finish what is queued, then waits until each has ended, thread-exit
        /// cleanup included. A thread still ending while the process exits races the token library's
        /// exit handlers: SoftHSM2's OpenSSL frees each thread's state from that thread's exit and
        /// all of it from `exit()`, and the two together are a double free that aborts `signet init`
        /// about once in 800 runs. (Called from one of its own threads, it cannot wait for itself:
        /// those threads are detached instead.)
        func close() {
            condition.lock()
            closed = true
            condition.broadcast()
            let running = threads
            threads = []
            condition.unlock()
            let current = pthread_self()
            for thread in running {
                if pthread_equal(thread, current) != 0 {
                    pthread_detach(thread)
                } else {
                    pthread_join(thread, nil)
                }
            }
        }

        /// The queue's threads, to wait for in ``close()``.
        private var threads: [pthread_t] = []

        private func spawn(number: Int) {
            let start = WorkerStart(workers: self, name: "signet-hsm-\(number)")
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, 1 << 20)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(start).toOpaque()
            let created = pthread_create(&thread, &attributes, { context in
                let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
                Thread.current.name = start.name  // Foundation names the running pthread
                start.workers.work()
                return nil
            }, context)
            guard created == 0 else {
                // No thread: the jobs wait for the other threads, and the next submit tries again.
                Unmanaged<WorkerStart>.fromOpaque(context).release()
                condition.lock()
                started -= 1
                condition.unlock()
                return
            }
            condition.lock()
            if closed {
                condition.unlock()
                pthread_join(thread, nil)
            } else {
                threads.append(thread)
                condition.unlock()
            }
        }

        func work() {
            condition.lock()
            while true {
                while head == jobs.count && !closed { condition.wait() }
                guard head < jobs.count else { break }
                let job = jobs[head]
                jobs[head] = nil
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                } else if head >= 1024 && head * 2 >= jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                condition.unlock()
                job?()
                condition.lock()
            }
            condition.unlock()
        }
    }
}

