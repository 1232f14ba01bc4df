import Dispatch
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Reloads what `signet serve` can take without a restart when the process gets SIGHUP, the signal
/// operators send after editing a file (`systemctl reload`, `kill -HUP`).
///
/// What a reload means is given by the caller (the CLI checks config.yaml and swaps the profiles);
/// this service owns the signal, the log line and the count. A reload that fails — a file that does
/// not parse, a profile set that would orphan an authority — changes nothing: the running
/// configuration stays, the refusal is logged with its reason and counted in
/// `signet_reloads_total{outcome="refused"}`.
struct ReloadOnHangup: Service {
    /// Performs one reload; returns a one-line summary for the log, or throws the refusal.
    let reload: @Sendable () async throws -> String
    let logger: Logger

    func run() async throws {
        let (hangups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        defer { source.cancel() }
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                do {
                    let summary = try await reload()
                    Counter(label: "signet_reloads_total", dimensions: [("outcome", "reloaded")]).increment()
                    logger.notice("reloaded on SIGHUP", metadata: ["summary": "\(summary)"])
                } catch {
                    Counter(label: "signet_reloads_total", dimensions: [("outcome", "refused")]).increment()
                    logger.error("reload on SIGHUP refused; the running configuration is kept", metadata: ["error": "\(error)"])
                }
            }
        }
        continuation.finish()
    }
}
