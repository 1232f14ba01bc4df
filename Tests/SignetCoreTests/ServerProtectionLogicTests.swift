import Foundation
import SignetCore
import Synchronization
import Testing

/// The pure parts of the server's self-protection: the HSM signing queue, the per-client rate
/// limiter, the cost-bounded cache under both, and token lifetimes.
@Suite struct ServerProtectionLogicTests {
    let start = Date(timeIntervalSince1970: 1_900_000_000)

    // MARK: SigningQueue

    @Test("the signing queue runs jobs on its own threads, refuses at once past its capacity, and admits housekeeping whatever the length")
    func signingQueueBound() async throws {
        let queue = SigningQueue(settings: .init(threads: 2, capacity: 3))
        let gate = DispatchSemaphore(value: 0)
        let started = Tally()
        // Two jobs hold both threads; three wait; the sixth bounded job is refused.
        for _ in 0..<2 { #expect(queue.trySubmit { started.add(); gate.wait() }) }
        while started.value < 2 { try await Task.sleep(for: .milliseconds(5)) }
        for _ in 0..<3 { #expect(queue.trySubmit { gate.wait() }) }
        #expect(queue.waiting == 3)
        #expect(!queue.trySubmit { Issue.record("a refused job must never run") })
        #expect(queue.refused == 1)
        await #expect(throws: SignetError.self) { try await queue.run { 1 } }
        do {
            _ = try await queue.run { 1 }
        } catch let error as SignetError {
            #expect(error.code == .hsmBusy && error.retryAfter == 1, "\(error)")
        }
        #expect(throws: SignetError.self) { try queue.checkCapacity() }
        // Housekeeping is queued even now, and runs once the threads are free.
        let housekeeping = Task { try await queue.run(.always) { "done" } }
        for _ in 0..<5 { gate.signal() }
        #expect(try await housekeeping.value == "done")
        #expect(queue.waiting == 0)
        // With room again, requests are admitted; errors thrown by a job come back to the caller.
        #expect(try await queue.run { 41 + 1 } == 42)
        await #expect(throws: SignetError.self) { try await queue.run { throw SignetError.internalError("job failed") } }
    }

    @Test("a thousand concurrent signatures through a small queue: each either runs exactly once or is refused")
    func signingQueueUnderLoad() async throws {
        let queue = SigningQueue(settings: .init(threads: 2, capacity: 16))
        let ran = Tally()
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<1_000 {
                group.addTask {
                    do {
                        try await queue.run { ran.add(); usleep(50) }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let admitted = outcomes.filter { $0 }.count
        #expect(admitted == ran.value)
        #expect(admitted + queue.refused == 1_000)
        #expect(admitted >= 18)
    }

    @Test("a queue that goes away has waited for its threads to end, their per-thread cleanup included (a token library's exit handlers would race it)")
    func signingQueueJoinsItsThreads() throws {
        // A thread-local value whose destructor counts, as OpenSSL (inside SoftHSM2) keeps per-thread state.
        var key = pthread_key_t()
        #expect(pthread_key_create(&key, { _ in threadCleanups.add() }) == 0)
        let threadKey = key
        defer { pthread_key_delete(threadKey) }
        let before = threadCleanups.value
        var queue: SigningQueue? = SigningQueue(settings: .init(threads: 3, capacity: 16))
        let ready = DispatchSemaphore(value: 0), gate = DispatchSemaphore(value: 0)
        // Three jobs at once, so each of the three threads sets its own value.
        for _ in 0..<3 {
            #expect(queue?.trySubmit {
                pthread_setspecific(threadKey, UnsafeRawPointer(bitPattern: 1))
                ready.signal()
                gate.wait()
            } == true)
        }
        for _ in 0..<3 { ready.wait() }
        for _ in 0..<3 { gate.signal() }
        queue = nil
        // No waiting here: when the queue's deinit returns, every thread has run its cleanup.
        #expect(threadCleanups.value - before == 3)
    }

    // MARK: ClientRateLimiter

    @Test("a client gets its burst, then waits for its allowance; clients are counted apart, IPv6 per /64, and 0 per second means off")
    func rateLimiter() {
        let limiter = ClientRateLimiter(policy: .init(perSecond: 2, burst: 3))
        for _ in 0..<3 { #expect(limiter.admit("198.51.100.7", at: start) == nil) }
        #expect(limiter.admit("198.51.100.7", at: start) == 1)
        #expect(limiter.admit("198.51.100.8", at: start) == nil, "another address has its own bucket")
        // Two per second: after half a second one more request is admitted.
        #expect(limiter.admit("198.51.100.7", at: start + 0.5) == nil)
        #expect(limiter.admit("198.51.100.7", at: start + 0.5) == 1)
        do {
            try limiter.check("198.51.100.7", at: start + 0.5)
            Issue.record("expected rate_limited")
        } catch let error as SignetError {
            #expect(error.code == .rateLimited && error.retryAfter == 1)
        } catch { Issue.record("\(error)") }

        // Two addresses in one /64 share a bucket; an IPv4-mapped address does not fall into ::ffff:0:0/64's.
        let v6 = ClientRateLimiter(policy: .init(perSecond: 1, burst: 2))
        #expect(v6.admit("2001:db8:1:2::1", at: start) == nil)
        #expect(v6.admit("2001:db8:1:2:ffff::9", at: start) == nil)
        #expect(v6.admit("2001:db8:1:2::abcd", at: start) != nil)
        #expect(v6.admit("2001:db8:1:3::1", at: start) == nil)
        #expect(v6.admit("::ffff:192.0.2.1", at: start) == nil)
        #expect(v6.admit("::ffff:192.0.2.1", at: start) == nil)
        #expect(v6.admit("::ffff:192.0.2.2", at: start) == nil)

        let off = ClientRateLimiter(policy: .off)
        for _ in 0..<10_000 { #expect(off.admit("198.51.100.7", at: start) == nil) }
        #expect(off.trackedClients == 0)
    }

    @Test("an attacker with 200,000 addresses cannot grow the limiter past its bound, and a busy client keeps its state")
    func rateLimiterBounded() {
        let limiter = ClientRateLimiter(policy: .init(perSecond: 1, burst: 2, trackedClients: 1_000))
        for i in 0..<200_000 {
            _ = limiter.admit("10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)", at: start)
            // One client keeps asking throughout and stays limited: it is recently used, so never dropped.
            if i % 100 == 0 { _ = limiter.admit("203.0.113.9", at: start) }
        }
        #expect(limiter.trackedClients <= 1_000)
        #expect(limiter.admit("203.0.113.9", at: start) != nil)
    }

    // MARK: BoundedCache

    @Test("the cache never costs more than its budget, keeps what is used, and forgets the least recently used")
    func boundedCache() {
        var cache = BoundedCache<Int, [UInt8]>(budget: 10_000)
        for key in 0..<10_000 {
            cache.set([UInt8](repeating: 1, count: 90), for: key, cost: 100)
            _ = cache.value(for: 0)  // used all along
            #expect(cache.cost <= 10_000)
        }
        #expect(cache.value(for: 0) != nil)
        #expect(cache.value(for: 9_999) != nil)
        #expect(cache.value(for: 1) == nil, "an entry not used since early on is gone")
        #expect(cache.count <= 100)
        // Replacing an entry replaces its cost; an entry over half the budget is not kept.
        cache.set([1], for: 0, cost: 1)
        #expect(cache.value(for: 0) == [1])
        cache.set([2], for: -1, cost: 6_000)
        #expect(cache.value(for: -1) == nil)
        cache.removeAll()
        #expect(cache.cost == 0 && cache.count == 0)
    }

    // MARK: TokenLifetime

    @Test("tokens expire after 90 days unless another lifetime or 'never' is asked for")
    func tokenLifetime() throws {
        #expect(try TokenLifetime(parsing: nil) == .after(.days(90)))
        #expect(try TokenLifetime(parsing: nil).expiry(from: start) == start + 90 * 86_400)
        #expect(try TokenLifetime(parsing: "never") == .never)
        #expect(try TokenLifetime(parsing: "Never").expiry(from: start) == nil)
        #expect(try TokenLifetime(parsing: "12h") == .after(.hours(12)))
        for bad in ["", "forever", "-1d", "0s", "12"] {
            #expect(throws: SignetError.self, "\(bad)") { try TokenLifetime(parsing: bad) }
        }
    }
}

/// A counter jobs on other threads can bump.
private final class Tally: Sendable {
    private let count = Mutex<Int>(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Thread-exit destructors counted by ``ServerProtectionLogicTests/signingQueueJoinsItsThreads()``; a C
/// callback cannot capture, so the tally is global.
private let threadCleanups = Tally()
