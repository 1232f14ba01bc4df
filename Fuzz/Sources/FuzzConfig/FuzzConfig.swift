import FuzzSupport
import SignetCore

/// `$SIGNET_HOME/config.yaml` (`SignetConfig.parse`, which also checks listen, durations, base_url
/// and sessions), and the text as a `--listen` value. A config that loads has values Signet can use.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    if let config = try? SignetConfig.parse(input.text, file: "config.yaml") {
        require((try? ListenAddress(parsing: config.listen)) != nil, "listen \(config.listen) passed validation but does not parse")
        require((1...256).contains(config.hsm.sessions), "sessions \(config.hsm.sessions)")
    }
    if let address = try? ListenAddress(parsing: input.text) {
        require((0...65535).contains(address.port) && !address.host.isEmpty, "\(address)")
    }
    return 0
}
