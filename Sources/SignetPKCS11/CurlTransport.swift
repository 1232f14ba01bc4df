import CCurl

/// HTTP to Signet through libcurl's easy interface: each request on the calling thread, with an easy
/// handle from a small pool so connections to Signet are reused (``CurlHandlePool``).
///
/// Why not URLSession: a PKCS#11 call is synchronous, and URLSession on Linux runs its transfers on
/// libdispatch queues and threads of its own, which a forked child cannot use. An easy handle needs no
/// thread of the module's, so the module works the same after fork() and in hosts (the JVM) that
/// expect a library to leave signals and threads alone (CURLOPT_NOSIGNAL).
public final class CurlTransport: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
    }

    /// Signet's answers are small (a key listing holds a few certificates per key); a larger one is not Signet.
    public static let responseLimit = 8 * 1024 * 1024

    let rootFile: String?
    let timeoutSeconds: Int
    let handles = CurlHandlePool()

    public init(rootFile: String?, timeoutSeconds: Int) {
        self.rootFile = rootFile
        self.timeoutSeconds = timeoutSeconds
    }

    /// libcurl's process-wide set-up, done once before the first request (thread-safe in libcurl ≥
    /// 7.84; the module calls it under its own lock anyway). Never undone: the host may use libcurl too.
    public static func globalInit() {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }

    public func perform(_ method: String, _ url: String, headers: [String], body: [UInt8]?) throws(SignetFailure) -> Response {
        guard let handle = handles.take() else { throw .unreachable("libcurl could not start a request") }
        defer { handles.give(handle) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in headers { headerList = curl_slist_append(headerList, header) }
        let sink = ResponseSink(limit: Self.responseLimit)

        var failed: CURLoption?
        func set(_ option: CURLoption, _ result: CURLcode) { if result != CURLE_OK && failed == nil { failed = option } }
        set(CURLOPT_URL, signet_curl_setopt_string(handle, CURLOPT_URL, url))
        set(CURLOPT_NOSIGNAL, signet_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(CURLOPT_CONNECTTIMEOUT, signet_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 10)))
        set(CURLOPT_TIMEOUT, signet_curl_setopt_long(handle, CURLOPT_TIMEOUT, timeoutSeconds))
        set(CURLOPT_USERAGENT, signet_curl_setopt_string(handle, CURLOPT_USERAGENT, "signet-pkcs11"))
        set(CURLOPT_HTTPHEADER, signet_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        set(CURLOPT_ERRORBUFFER, signet_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(CURLOPT_WRITEFUNCTION, signet_curl_setopt_write_function(handle, { data, size, count, context in
            guard let context else { return 0 }
            let (total, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
            return sink.append(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
        }))
        set(CURLOPT_WRITEDATA, signet_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()))
        if let rootFile { set(CURLOPT_CAINFO, signet_curl_setopt_string(handle, CURLOPT_CAINFO, rootFile)) }
        if let body {
            set(CURLOPT_POSTFIELDSIZE_LARGE, signet_curl_setopt_post_size(handle, curl_off_t(body.count)))
            set(CURLOPT_COPYPOSTFIELDS, body.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    chars.baseAddress.map { signet_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, $0) } ?? CURLE_OK
                }
            })
        } else {
            set(CURLOPT_HTTPGET, signet_curl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        }
        if method != "GET" && method != "POST" { set(CURLOPT_CUSTOMREQUEST, signet_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)) }
        if let failed { throw .unreachable("libcurl refused option \(failed.rawValue)") }

        let result = withExtendedLifetime(sink) { curl_easy_perform(handle) }
        guard result == CURLE_OK else {
            if sink.overflowed { throw .unexpected("an answer larger than \(Self.responseLimit) bytes") }
            let detail = String(cString: errorBuffer)
            throw .unreachable(detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail)
        }
        var status = 0
        _ = signet_curl_response_code(handle, &status)
        return Response(status: status, body: sink.bytes)
    }
}
