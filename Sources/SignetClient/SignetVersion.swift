/// Which Signet a binary is, for `signet --version` and the client's User-Agent. The number is set by
/// hand when a release is cut. `make dist` builds from a copy of the tree in which it writes the
/// commit into `commit` below (see the Makefile), so a release binary names the exact source it was
/// built from, while everyday builds do not depend on git state at all.
public enum SignetVersion {
    public static let number = "0.1.0"
    public static let commit = "development build"

    /// `signet 0.1.0 (commit 0123456789ab)`.
    public static var description: String { "signet \(number) (\(commit))" }
}
