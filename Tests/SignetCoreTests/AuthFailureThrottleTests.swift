import Foundation
import SignetCore
import Testing

@Suite struct AuthFailureThrottleTests {
    let start = Date(timeIntervalSince1970: 1_900_000_000)

    @Test("a client gets its burst of audited failures, then a throttled spell that starts once, then its allowance back over time")
    func bucket() {
        let throttle = AuthFailureThrottle(policy: .init(burst: 3, perSecond: 0.5))
        for _ in 0..<3 { #expect(throttle.recordFailure(from: "10.0.0.1", at: start) == .audit) }
        #expect(throttle.recordFailure(from: "10.0.0.1", at: start) == .throttled(retryAfterSeconds: 2, startsSpell: true))
        #expect(throttle.recordFailure(from: "10.0.0.1", at: start + 1) == .throttled(retryAfterSeconds: 1, startsSpell: false))
        // Another address has its own allowance.
        #expect(throttle.recordFailure(from: "10.0.0.2", at: start + 1) == .audit)
        // 0.5 per second: two seconds later (1.5 allowance) one more failure is heard, which ends the
        // spell; the half left over means the next one starts a new spell with a 1 s wait.
        #expect(throttle.recordFailure(from: "10.0.0.1", at: start + 3) == .audit)
        #expect(throttle.recordFailure(from: "10.0.0.1", at: start + 3) == .throttled(retryAfterSeconds: 1, startsSpell: true))
        // A clock that goes backwards refills nothing.
        #expect(throttle.recordFailure(from: "10.0.0.1", at: start) == .throttled(retryAfterSeconds: 1, startsSpell: false))
    }

    @Test("memory stays bounded: the least recently seen clients are forgotten, a recent offender is remembered")
    func bounded() {
        let throttle = AuthFailureThrottle(policy: .init(burst: 2, perSecond: 1, trackedClients: 100))
        for i in 0..<1_000 { _ = throttle.recordFailure(from: "192.0.2.\(i)", at: start + Double(i) / 1_000) }
        #expect(throttle.trackedClients <= 100)
        // A recent offender is still remembered: its next failures are throttled.
        _ = throttle.recordFailure(from: "192.0.2.999", at: start + 1)
        _ = throttle.recordFailure(from: "192.0.2.999", at: start + 1)
        if case .throttled = throttle.recordFailure(from: "192.0.2.999", at: start + 1) {} else { Issue.record("expected a throttled verdict") }
    }
}
