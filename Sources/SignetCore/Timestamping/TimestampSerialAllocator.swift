/// Persistence of TSA serial numbers: ranges are reserved in bulk, in one transaction each, so a
/// serial is never handed out twice even across crashes (unused serials of a reserved range are
/// simply skipped).
public protocol TimestampSerialRepository: Sendable {
    /// Reserves `count` consecutive serials and returns them; the next reservation starts after.
    func reserveTimestampSerials(count: Int, event: AuditEvent) async throws -> Range<Int64>
}

/// Hands out TSA serials from ranges reserved in bulk (RFC 3161 §2.4.2: unique per TSA). The store
/// is touched once per `blockSize` tokens instead of once per token.
public actor TimestampSerialAllocator {
    let repository: any TimestampSerialRepository
    let clock: any SignetClock
    let blockSize: Int
    private var current: Range<Int64> = 0..<0
    private var pendingRefill: Task<Range<Int64>, any Error>?

    public init(repository: any TimestampSerialRepository, clock: any SignetClock, blockSize: Int = 1000) {
        self.repository = repository
        self.clock = clock
        self.blockSize = blockSize
    }

    public func next() async throws -> Int64 {
        while current.isEmpty {
            if let refill = pendingRefill {
                let range = try await refill.value
                // Only the first waiter to resume installs the range; a later refill is left alone.
                if pendingRefill == refill {
                    pendingRefill = nil
                    if current.isEmpty { current = range }
                }
                continue
            }
            let repository = self.repository
            let event = AuditEvent(time: clock.now(), actor: "signet", role: nil, action: AuditAction.tsaSerialsReserve, target: nil,
                                   details: ["count": "\(blockSize)"])
            let count = blockSize
            let task = Task { try await repository.reserveTimestampSerials(count: count, event: event) }
            pendingRefill = task
        }
        let serial = current.lowerBound
        current = (serial + 1)..<current.upperBound
        return serial
    }
}
