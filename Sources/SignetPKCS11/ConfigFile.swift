/// The file named by `SIGNET_PKCS11_CONFIG`, in the style of `softhsm2.conf`: one `key = value` per
/// line, whole-line `#` comments, blank lines ignored. The value is the rest of the line with the
/// surrounding blanks removed (a token or a path needs no quoting). Unknown and repeated keys are
/// refused with their line number, so a typo never silently falls back to the environment.
public struct ConfigFile: Sendable, Equatable {
    /// The keys the module reads.
    public static let keys = ["url", "token", "token_file", "id_token_file", "audience", "root", "release", "timeout"]
    /// Larger than any sensible configuration; a bigger file is a wrong path, not a configuration.
    public static let maximumSize = 64 * 1024

    /// The settings in file order.
    public let values: [String: String]

    public init(values: [String: String]) {
        self.values = values
    }

    /// Parses the file's bytes; `name` is used in messages.
    public static func parse(_ bytes: [UInt8], name: String) throws(ConfigurationError) -> ConfigFile {
        guard bytes.count <= maximumSize else {
            throw ConfigurationError("\(name): expected a configuration of at most \(maximumSize) bytes, got \(bytes.count)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError("\(name): expected UTF-8 text")
        }
        var values: [String: String] = [:]
        for (index, rawLine) in lines(text).enumerated() {
            let number = index + 1
            let line = trimmed(rawLine)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(name) line \(number): expected 'key = value', got '\(excerpt(line))'")
            }
            let key = trimmed(line[..<equals])
            let value = trimmed(line[line.index(after: equals)...])
            guard keys.contains(key) else {
                throw ConfigurationError("\(name) line \(number): unknown key '\(excerpt(key))'; expected one of \(keys.joined(separator: ", "))")
            }
            guard !value.isEmpty else {
                throw ConfigurationError("\(name) line \(number): '\(key)' has no value")
            }
            guard values[key] == nil else {
                throw ConfigurationError("\(name) line \(number): '\(key)' is set twice")
            }
            values[key] = value
        }
        return ConfigFile(values: values)
    }

    /// The lines of `text`, whether they end in LF or CRLF (one Character in Swift, so splitting on
    /// "\n" alone would not see them).
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// Blanks (space, tab, carriage return) removed from both ends.
    static func trimmed(_ text: Substring) -> String {
        let blanks: Set<Character> = [" ", "\t", "\r", "\r\n"]
        var slice = text[...]
        while let first = slice.first, blanks.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, blanks.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }

    static func trimmed(_ text: String) -> String { trimmed(text[...]) }

    /// A short, printable rendering of user text for an error message.
    static func excerpt(_ text: String) -> String {
        let printable = text.unicodeScalars.map { $0.value >= 0x20 && $0.value != 0x7f ? String($0) : "?" }.joined()
        return printable.count > 40 ? String(printable.prefix(40)) + "…" : printable
    }
}
