/// Where `signet serve` listens: `host:port` from `--listen` or config.yaml's `listen`, IPv6 hosts in
/// brackets (`[::1]:8080`). Port 0 asks the system for a free port.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(parsing text: String) throws {
        let error = SignetError.malformed("Expected --listen host:port (IPv6 as [::1]:8080, port 0-65535), got \(SignetError.quote(text))")
        guard text.utf8.count <= 300, let colon = text.lastIndex(of: ":") else { throw error }
        let portText = text[text.index(after: colon)...]
        guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let port = Int(portText), (0...65535).contains(port) else { throw error }
        var host = Substring(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) else { throw error }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
