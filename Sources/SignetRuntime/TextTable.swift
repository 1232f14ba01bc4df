/// A table for the terminal: each column is as wide as its widest value, so nothing is ever cut (a team
/// called `platform-security` shows whole), and the last column is not padded, so lines carry no
/// trailing spaces. Every table `signet` prints goes through it.
public struct TextTable: Sendable {
    /// Printed before every line (sections of `signet inventory` are indented).
    public let indent: String
    private var rows: [[String]] = []

    /// A table whose first row is `header`, if given.
    public init(header: [String]? = nil, indent: String = "") {
        self.indent = indent
        if let header { rows.append(header) }
    }

    /// Adds a row; rows may have different lengths (missing cells are empty).
    public mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// The lines of the table, columns separated by two spaces.
    public var lines: [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = indent
            for (index, cell) in row.enumerated() {
                if index > 0 { line += "  " }
                line += cell
                if index < row.count - 1 { line += String(repeating: " ", count: widths[index] - cell.count) }
            }
            return line
        }
    }

    /// Prints ``lines`` on stdout.
    public func print() {
        for line in lines { Swift.print(line) }
    }
}
