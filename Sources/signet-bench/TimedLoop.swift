import Foundation
import SignetCore

/// The timed loop behind `signet-bench hsm` and `signet-bench tsa`: `threads` threads repeat one
/// operation until the deadline, counting the calls that return true; the first error is thrown.
enum TimedLoop {
    /// Operations completed and the wall time they took.
    struct Result {
        var operations: Int
        var seconds: Double
    }

    static func run(threads: Int, seconds: Double, _ operation: @escaping @Sendable () throws -> Bool) throws -> Result {
        let counts = Locked<[Int]>(Array(repeating: 0, count: threads))
        let failure = Locked<(any Error)?>(nil)
        let done = DispatchGroup()
        let started = DispatchTime.now().uptimeNanoseconds
        let deadline = started + UInt64(seconds * 1e9)
        for index in 0..<threads {
            done.enter()
            let thread = Thread {
                var count = 0
                do {
                    while DispatchTime.now().uptimeNanoseconds < deadline {
                        if try operation() { count += 1 }
                    }
                } catch {
                    failure.withLock { $0 = error }
                }
                counts.withLock { $0[index] = count }
                done.leave()
            }
            thread.start()
        }
        done.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if let error = failure.withLock({ $0 }) { throw error }
        return Result(operations: counts.withLock { $0.reduce(0, +) }, seconds: elapsed)
    }
}

