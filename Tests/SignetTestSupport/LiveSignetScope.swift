import Testing

/// One live Signet for a whole suite (`@Suite(.liveSignet)`): started before the suite's first test,
/// stopped after its last, and reachable from every test as ``LiveSignetScope/current``.
public struct LiveSignetScope: SuiteTrait, TestScoping {
    @TaskLocal public static var current: LiveSignet?

    let name: String

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let signet = try LiveSignet.start(name)
        defer { signet.stop() }
        try await Self.$current.withValue(signet) { try await function() }
    }

    /// The suite's Signet; fails the test when used outside a `.liveSignet` suite.
    public static func signet() throws -> LiveSignet {
        guard let current else { throw TestFailure("no live Signet: mark the suite .liveSignet") }
        return current
    }
}

extension Trait where Self == LiveSignetScope {
    /// Starts one `signet serve` for the suite (see ``LiveSignetScope``).
    public static func liveSignet(_ name: String = "live") -> Self { LiveSignetScope(name: name) }
}
