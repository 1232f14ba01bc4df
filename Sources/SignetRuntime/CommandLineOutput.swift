import Foundation
import SignetCore

/// What Signet's command-line tools (`signet`, `signet-bench`) share about their output: one line per
/// error with no secrets in it, JSON for machines in one shape, and reading an input file or stdin.
public enum CommandLineOutput {
    /// One line describing an error, whatever its type (errors never carry PINs or tokens).
    public static func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as SignetError: text = error.reason
        case let error as SignetErrorConvertible: text = error.asSignetError.reason
        case let error as CustomStringConvertible: text = error.description
        default: text = "\(error)"
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    /// The encoder behind every `--json`: stable key order, snake_case keys, RFC 3339 dates.
    public static let jsonEncoder = JSONConventions.encoder(pretty: true)

    /// Prints `value` as JSON on stdout.
    public static func printJSON<T: Encodable>(_ value: T) throws {
        print(String(decoding: try jsonEncoder.encode(value), as: UTF8.self))
    }

    /// The bytes of `path`, or of stdin for `-`; a missing file is a one-line not-found error.
    public static func readFile(_ path: String, what: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SignetError.notFound("Cannot read \(what) \(path): no such file or not readable")
        }
        return Array(data)
    }
}
