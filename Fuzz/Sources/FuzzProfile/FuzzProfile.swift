import FuzzSupport
import SignetCore

/// Profile YAML (`Profiles/*.yaml`), parsed and validated into a `Profile`. A profile that loads
/// keeps the limits the parser promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count)
    guard let profile = try? ProfileParser.parse(yaml: input.text, file: "Profiles/fuzz.yaml") else { return 0 }
    require(profile.defaultValidity <= profile.maxValidity, "default validity above max")
    require(!profile.keyAlgorithms.isEmpty, "no key algorithm")
    if let rotation = profile.rotation { require(rotation.overlap < rotation.every, "overlap not shorter than every") }
    return 0
}
