/// Where libcurl's write callback puts the answer, up to a limit.
final class ResponseSink: @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var overflowed = false
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Appends `chunk`; false (stop the transfer) once the answer would pass the limit.
    func append(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + chunk.count <= limit else {
            overflowed = true
            return false
        }
        bytes.append(contentsOf: chunk)
        return true
    }
}
