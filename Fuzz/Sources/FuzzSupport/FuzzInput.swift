/// What every fuzz target needs from libFuzzer's input: the bytes, and the same bytes as text the
/// way Signet receives text (invalid UTF-8 replaced, as Foundation and Hummingbird do).
public struct FuzzInput {
    public let bytes: [UInt8]

    public init(_ start: UnsafeRawPointer, _ count: Int) {
        bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Stops the process with `message` when a property every input must keep does not hold: libFuzzer
/// records the input that did it, like any crash.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("property violated: \(message())") }
}
