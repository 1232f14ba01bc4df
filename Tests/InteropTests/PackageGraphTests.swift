import Foundation
import SignetTestSupport
import Testing

/// The package's module graph, as `swift package dump-package` reads Package.swift, against the two
/// places that must agree with it: the imports in each target's sources (a target declares exactly
/// what it imports) and the diagram in docs/architecture.md.
@Suite struct PackageGraphTests {
    /// Modules that come with the toolchain or the OS and are never declared.
    static let systemModules: Set<String> = ["Foundation", "FoundationNetworking", "FoundationEssentials", "Glibc", "Musl", "Darwin",
                                             "Dispatch", "Synchronization", "Testing", "XCTest", "os"]

    struct Target {
        let name: String
        let type: String
        let path: String
        let dependencies: Set<String>
    }

    /// The targets as SwiftPM reads them.
    static func targets() throws -> [Target] {
        // A scratch path of its own: the package's .build is locked by the `swift test` running this.
        let result = try ProcessRunner.run("swift", ["package", "--package-path", TestEnvironment.repositoryRoot,
                                                     "--scratch-path", TestEnvironment.temporaryDirectory("dump-package"), "dump-package"])
        try OpenSSL.check(result, "swift package dump-package")
        let package = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        let list = try #require(package["targets"] as? [[String: Any]])
        return try list.map { target in
            let name = try #require(target["name"] as? String)
            let type = try #require(target["type"] as? String)
            var dependencies = Set<String>()
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                // {"byName": [name, condition]}, {"target": [name, condition]}, {"product": [name, package, …]}
                for key in ["byName", "target", "product"] {
                    if let values = dependency[key] as? [Any], let first = values.first as? String { dependencies.insert(first) }
                }
            }
            let defaultPath = (type == "test" ? "Tests/" : "Sources/") + name
            return Target(name: name, type: type, path: target["path"] as? String ?? defaultPath, dependencies: dependencies)
        }
    }

    /// The modules a target's Swift sources import.
    static func imports(under directory: String) throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"^\s*(?:@[A-Za-z_]+\s+)*(?:public\s+|internal\s+|package\s+)?import\s+([A-Za-z_][A-Za-z_0-9]*)[ \t]*(?://.*)?$"#,
                                              options: .anchorsMatchLines)
        var found = Set<String>()
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return found }
        for case let file as String in walker where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { found.insert(String(text[range])) }
            }
        }
        return found
    }

    @Test("every target declares exactly the modules its sources import")
    func declaredImports() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 10)
        for target in targets where target.type != "system" {
            let imported = try Self.imports(under: TestEnvironment.repositoryRoot + "/" + target.path).subtracting(Self.systemModules)
            #expect(imported.subtracting(target.dependencies).isEmpty,
                    "\(target.name) imports \(imported.subtracting(target.dependencies).sorted()) without declaring them in Package.swift")
            #expect(target.dependencies.subtracting(imported).isEmpty,
                    "\(target.name) declares \(target.dependencies.subtracting(imported).sorted()) in Package.swift but never imports them")
        }
    }

    @Test("docs/architecture.md draws the module graph Package.swift declares")
    func architectureDiagram() throws {
        let targets = try Self.targets().filter { $0.type != "test" }
        let ours = Set(targets.map(\.name))
        var declared = Set<String>()
        for target in targets {
            for dependency in target.dependencies where ours.contains(dependency) { declared.insert("\(target.name) --> \(dependency)") }
        }
        let document = try String(contentsOfFile: TestEnvironment.repositoryRoot + "/docs/architecture.md", encoding: .utf8)
        let diagram = try #require(document.components(separatedBy: "```mermaid\n").dropFirst().first?.components(separatedBy: "```").first)
        let drawn = Set(diagram.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.contains("-->") })
        #expect(!declared.isEmpty)
        #expect(declared.subtracting(drawn).isEmpty, "in Package.swift but not in docs/architecture.md: \(declared.subtracting(drawn).sorted())")
        #expect(drawn.subtracting(declared).isEmpty, "in docs/architecture.md but not in Package.swift: \(drawn.subtracting(declared).sorted())")
        // Every module has a row in the table.
        for target in targets where target.type != "system" || target.name == "CPKCS11" {
            #expect(document.contains("| `\(target.name)` |"), "docs/architecture.md has no row for \(target.name)")
        }
    }
}
