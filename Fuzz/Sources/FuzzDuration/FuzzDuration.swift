import FuzzSupport
import SignetCore

/// `ValidityDuration(parsing:)`: profiles, config.yaml, `--validity`, `expiring_within`, `since`,
/// `expires_in`. A parsed duration is positive, at most 100y, and reads back from its canonical form.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDuration(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    guard let duration = try? ValidityDuration(parsing: input.text) else { return 0 }
    require(duration.seconds > 0 && duration <= ValidityDuration.maximum, "\(duration.seconds) s out of range")
    require((try? ValidityDuration(parsing: duration.description)) == duration, "\(duration) does not read back")
    return 0
}
