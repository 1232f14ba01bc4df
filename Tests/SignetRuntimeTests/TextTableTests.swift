import SignetRuntime
import Testing

/// The CLI's tables never cut a value and line their columns up whatever the widths.
@Suite struct TextTableTests {
    @Test("columns are as wide as their widest value: long team and profile names show whole, columns line up, no trailing spaces")
    func widths() {
        var table = TextTable(header: ["PROFILE", "TEAM", "SUBJECT"], indent: "  ")
        table.add(["prerelease-codesign", "platform-security", "CN=a"])
        table.add(["ci", "payments", "CN=a much longer subject than the header"])
        table.add(["short"])
        let lines = table.lines
        #expect(lines.count == 4)
        #expect(lines[1] == "  prerelease-codesign  platform-security  CN=a")
        #expect(lines[2] == "  ci                   payments           CN=a much longer subject than the header")
        #expect(lines[3] == "  short")
        // Every column starts at the same offset in each row that has it.
        let teamColumn = lines[0].range(of: "TEAM")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].range(of: "platform-security")!.lowerBound.utf16Offset(in: lines[1]) == teamColumn)
        #expect(lines[2].range(of: "payments")!.lowerBound.utf16Offset(in: lines[2]) == teamColumn)
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }

    @Test("an empty table prints nothing; a header alone prints one line")
    func empty() {
        #expect(TextTable().lines.isEmpty)
        #expect(TextTable(header: ["A", "B"]).lines == ["A  B"])
    }
}
