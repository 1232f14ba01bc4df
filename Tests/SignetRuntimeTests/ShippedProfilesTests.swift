import Foundation
import SignetRuntime
import SignetTestSupport
import Testing

/// The profiles built into the binary (for `signet init` run where there is no checkout) are the
/// files in Profiles/: regenerate with scripts/embed-profiles.sh after editing one.
@Suite struct ShippedProfilesTests {
    @Test("ShippedProfiles holds every Profiles/*.yaml, byte for byte")
    func matchesFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.profilesDirectory).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(ShippedProfiles.files.map(\.name).sorted() == names, "run scripts/embed-profiles.sh")
        for (name, yaml) in ShippedProfiles.files {
            let file = try String(contentsOfFile: TestEnvironment.profilesDirectory + "/" + name, encoding: .utf8)
            #expect(yaml == file, "\(name) differs from the built-in copy: run scripts/embed-profiles.sh")
        }
    }
}
