import Logging
import Metrics

/// Failures of the work the server does on its own, outside any request: CRL publishing, picking up
/// authorities another process rotated, the rotation schedule, audit checkpoints. Such a failure has
/// nobody to answer to, so it must not vanish: each one is logged as an error naming its task and
/// counted in `signet_background_failures_total{task}`, the series an operator alerts on.
enum BackgroundFailure {
    static func record(_ task: String, _ error: any Error, logger: Logger) {
        Counter(label: "signet_background_failures_total", dimensions: [("task", task)]).increment()
        logger.error("background task failed", metadata: ["task": "\(task)", "error": "\(error)"])
    }
}
