/// Persistence of TSA serial numbers: ranges are reserved in bulk, in one transaction each, so a
/// serial is never handed out twice even across crashes (unused serials of a reserved range are
/// simply skipped).
public protocol TimestampSerialRepository: Sendable {
    /// Reserves `count` consecutive serials and returns them; the next reservation starts after.
    func reserveTimestampSerials(count: Int, event: AuditEvent) async throws -> Range<Int64>
}

/// Hands out TSA serials from ranges reserved in bulk (RFC 3161 §2.4.2: unique per TSA). The store
/// is touched once per `blockSize` tokens instead of once per token, and the next block is reserved
/// when half of the current one is used, so a token almost never waits for the store and
/// ``takeIfAvailable()`` can answer without I/O.
public final class TimestampSerialAllocator: Sendable {
    let repository: any TimestampSerialRepository
    let clock: any SignetClock
    let blockSize: Int

    private struct State {
        var current: Range<Int64> = 0..<0
        /// A block reserved ahead, used when `current` runs out.
        var next: Range<Int64>?
        var refill: Task<Void, any Error>?
    }

    private let state = Locked(State())

    public init(repository: any TimestampSerialRepository, clock: any SignetClock, blockSize: Int = 1000) {
        self.repository = repository
        self.clock = clock
        self.blockSize = blockSize
    }

    /// A serial if one is reserved already (no I/O), else `nil`; a reservation is started either way
    /// when the reserve runs low.
    public func takeIfAvailable() -> Int64? {
        state.withLock { state in
            if state.current.isEmpty, let next = state.next {
                state.current = next
                state.next = nil
            }
            guard let serial = state.current.first else {
                startRefill(&state)
                return nil
            }
            state.current = state.current.dropFirst()
            if state.next == nil && state.current.count < blockSize / 2 { startRefill(&state) }
            return serial
        }
    }

    /// The next serial, waiting for a reservation if none is left.
    public func next() async throws -> Int64 {
        while true {
            if let serial = takeIfAvailable() { return serial }
            guard let refill = state.withLock({ $0.refill }) else { continue }
            try await refill.value
        }
    }

    /// Starts one reservation unless one is running; its range becomes `next`. A failed reservation
    /// is forgotten, so the next caller tries again (and a waiter gets the error).
    private func startRefill(_ state: inout State) {
        guard state.refill == nil else { return }
        let event = AuditEvent(time: clock.now(), actor: "signet", role: nil, action: AuditAction.tsaSerialsReserve, target: nil,
                               details: ["count": "\(blockSize)"])
        let repository = self.repository, count = blockSize
        state.refill = Task { [self] in
            do {
                let range = try await repository.reserveTimestampSerials(count: count, event: event)
                self.state.withLock { state in
                    state.next = range
                    state.refill = nil
                }
            } catch {
                self.state.withLock { $0.refill = nil }
                throw error
            }
        }
    }
}
