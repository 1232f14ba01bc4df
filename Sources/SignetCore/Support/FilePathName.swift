/// Splitting a file path into its directory and its last component, for the writers that put a
/// temporary file beside their target (write-then-rename). Plain string logic on `/`: Foundation's
/// `NSString.deletingLastPathComponent` on Linux traps on a one-character name such as `x`, and a
/// file name given on the command line must never crash the process.
public enum FilePathName {
    /// The directory holding `path`: `.` for a bare name, `/` for a file at the root.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }

    /// The name after the last `/` (the whole path when there is none).
    public static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
