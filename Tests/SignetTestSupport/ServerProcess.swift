import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `signet serve` process on a free loopback port, for end-to-end and crash tests.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    public let home: String
    private let stderrPipe: Pipe
    private let stderrLock = NSLock()
    private var stderrData = Data()

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// What the server wrote to stderr so far (its log), up to the last 4 MiB.
    public var stderrText: String {
        stderrLock.lock()
        defer { stderrLock.unlock() }
        return String(decoding: stderrData, as: UTF8.self)
    }

    /// Starts the server and waits until it prints its listening address. `logLevel` nil leaves the
    /// server's default (info).
    public init(home: String, fixedListen: String = "127.0.0.1:0", extraArguments: [String] = [], environment: [String: String?] = [:],
                logLevel: String? = "warning") throws {
        self.home = home
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessRunner.signetBinary)
        process.arguments = ["serve", "--home", home, "--listen", fixedListen] + (logLevel.map { ["--log-level", $0] } ?? []) + extraArguments
        var env = ProcessInfo.processInfo.environment
        env["SIGNET_HSM_PIN"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        self.process = process
        self.stderrPipe = err
        // Read the first stdout line: "Signet listening on http://127.0.0.1:PORT".
        var line = Data()
        let handle = out.fileHandleForReading
        let deadline = Date() + 60
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
            if line.contains(0x0a) { break }
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: "\n").first?.split(separator: ":").last, let port = Int(portText.trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            let errors = String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
            throw TestFailure("signet serve did not start: \(text) \(errors)")
        }
        self.port = port
        // Keep draining stdout so the server never blocks on a full pipe; keep the log's tail.
        DispatchQueue.global().async { while !handle.availableData.isEmpty {} }
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                stderrLock.lock()
                stderrData.append(chunk)
                if stderrData.count > 4 << 20 { stderrData.removeFirst(stderrData.count - (4 << 20)) }
                stderrLock.unlock()
            }
        }
    }

    /// SIGKILL: no chance to clean up, as in a crash.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill() } }
}

/// A minimal HTTP client over URLSession for tests against real sockets.
public enum HTTPClient {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: [UInt8]
        public var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    public static func request(_ url: String, method: String = "GET", headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> Response {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)".lowercased()] = "\(value)" }
        return Response(status: http.statusCode, headers: fields, body: Array(data))
    }

    public static func json(_ url: String, method: String = "POST", token: String?, _ object: [String: Any]) async throws -> Response {
        var headers = ["Content-Type": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try await request(url, method: method, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: object)))
    }
}

/// HTTP/1.1 over one raw TCP connection, for what URLSession hides: pipelined requests (several
/// written before any answer is read) and the server closing the connection.
public final class RawHTTPConnection {
    public struct Response: Sendable {
        public let status: Int
        /// Header names lowercased.
        public let headers: [String: String]
        public let body: [UInt8]
    }

    private let socket: Int32
    private var buffer: [UInt8] = []

    public init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("socket() failed") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(socket); throw TestFailure("connect() to port \(port) failed") }
    }

    deinit { close(socket) }

    /// Writes the bytes in one send.
    public func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw TestFailure("send() wrote \(sent) of \(bytes.count) bytes") }
    }

    /// The next response (Content-Length framed), or nil if the server closed the connection first.
    public func readResponse() throws -> Response? {
        while true {
            if let end = headerEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line in \(head)") }
                var headers: [String: String] = [:]
                for line in lines where !line.isEmpty {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if buffer.count >= end + 4 + length {
                    let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                    buffer.removeFirst(end + 4 + length)
                    return Response(status: status, headers: headers, body: body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count == 0 { return nil }
            guard count > 0 else { throw TestFailure("recv() failed or timed out (errno \(errno))") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// True once the server has closed its side (recv returns 0).
    public func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(socket, &byte, 1, 0) == 0
    }

    /// Reads until the server closes the connection (or resets it), at most `timeout` seconds.
    /// Returns whether it closed, after how long, and what it sent before closing.
    public func readUntilClosed(timeout: TimeInterval) -> (closed: Bool, seconds: TimeInterval, received: [UInt8]) {
        let started = Date()
        var received = buffer
        buffer = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(started) < timeout {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let remaining = max(1, Int32((timeout - Date().timeIntervalSince(started)) * 1000))
            guard poll(&poller, 1, min(remaining, 200)) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (true, Date().timeIntervalSince(started), received) }
            received.append(contentsOf: chunk[..<count])
        }
        return (false, Date().timeIntervalSince(started), received)
    }

    /// True while the server has not closed the connection (nothing read, nothing waited for).
    public func isOpen() -> Bool {
        var byte: UInt8 = 0
        let count = recv(socket, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return count > 0 || (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    }

    /// True once the server has sent something or closed the connection (nothing is consumed).
    public func hasAnswered() -> Bool {
        var byte: UInt8 = 0
        return recv(socket, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK)) >= 0
    }

    /// Writes the bytes, reporting failure (the server closed the connection) instead of throwing.
    public func trySend(_ bytes: [UInt8]) -> Bool {
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// The bytes of one request.
    public static func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + body
    }
}

/// Reading one sample out of the Prometheus text that `/metrics` serves.
public enum PrometheusText {
    /// The value of the sample whose name and labels are exactly `sample` (e.g.
    /// `signet_fast_path_responses_total{protocol="tsa"}`), or nil if it is not there.
    public static func value(of sample: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
