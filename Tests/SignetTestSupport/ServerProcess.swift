import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `signet serve` process on a free loopback port, for end-to-end and crash tests.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    public let home: String
    private let stderrPipe: Pipe

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the server and waits until it prints its listening address.
    public init(home: String, fixedListen: String = "127.0.0.1:0", extraArguments: [String] = [], environment: [String: String?] = [:]) throws {
        self.home = home
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessRunner.signetBinary)
        process.arguments = ["serve", "--home", home, "--listen", fixedListen, "--log-level", "warning"] + extraArguments
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
        // Keep draining stdout so the server never blocks on a full pipe.
        DispatchQueue.global().async { while !handle.availableData.isEmpty {} }
        DispatchQueue.global().async { while !err.fileHandleForReading.availableData.isEmpty {} }
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
