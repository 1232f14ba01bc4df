import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One JSON object per line, keys sorted: time (UTC, milliseconds), level, label, message and
/// metadata, with Hummingbird's request id under `request_id`. Values are logged as given; callers
/// never put secrets in them.
///
/// The line is built by hand into bytes (a JSONEncoder and an ISO 8601 formatter per line cost
/// more than the OCSP answer being logged) and handed to a ``LogWriter``, which writes it from a
/// thread of its own; the thread that logs never waits for the disk. Errors and worse are written
/// without the writer's gathering delay.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    let writer: LogWriter

    public init(label: String, writer: LogWriter = .standardError) {
        self.label = label
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key == "hb.request.id" ? "request_id" : key] = value.description }
        for (key, value) in event.metadata ?? [:] { fields[key == "hb.request.id" ? "request_id" : key] = value.description }
        writer.append(Self.line(level: event.level.rawValue, label: label, message: event.message.description, metadata: fields),
                      urgent: event.level >= .error)
    }

    /// One log line, newline included. The fixed keys win over metadata of the same name.
    static func line(level: String, label: String, message: String, metadata: [String: String], now: Date = Date()) -> [UInt8] {
        var fields = metadata
        fields["ts"] = timestamp(now)
        fields["level"] = level
        fields["label"] = label
        fields["msg"] = message
        var line: [UInt8] = []
        line.reserveCapacity(64 + fields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        line.append(UInt8(ascii: "{"))
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            appendString(key, to: &line)
            line.append(UInt8(ascii: ":"))
            appendString(fields[key]!, to: &line)
        }
        line.append(UInt8(ascii: "}"))
        line.append(0x0a)
        return line
    }

    /// A JSON string (RFC 8259 §7): quotation mark, reverse solidus and control characters escaped,
    /// everything else (UTF-8 included) as it is.
    static func appendString(_ text: String, to line: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0a: line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// `2025-01-31T12:34:56.789Z`.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let millis = min(999, max(0, Int((interval - interval.rounded(.down)) * 1000)))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }
}
