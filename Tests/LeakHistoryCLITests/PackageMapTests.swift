import Foundation
import Testing

/// The package's map (DESIGN.md, "The map: targets and their arrows") is the
/// rule for imports: every Swift file of a target may import only what its
/// row allows, so an arrow against the map — the analysis reaching for the
/// store, the library for the server — fails here.
@Suite struct PackageMapTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let systemModules: Set<String> = ["Foundation", "FoundationNetworking", "Dispatch", "Glibc", "Musl", "Darwin",
                                             "Synchronization"]

    struct Row {
        var target: String
        var folder: String
        var allowed: Set<String>
    }

    /// The rows between `<!-- import-map -->` and `<!-- /import-map -->`.
    static func map() throws -> [Row] {
        let design = try String(contentsOf: root.appendingPathComponent("DESIGN.md"), encoding: .utf8)
        let start = try #require(design.range(of: "<!-- import-map -->"))
        let end = try #require(design.range(of: "<!-- /import-map -->"))
        let unquote = { (cell: Substring) in cell.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
        return design[start.upperBound..<end.lowerBound].split(separator: "\n").dropFirst(2).compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            guard cells.count == 4 else { return nil }
            let cellArray = Array(cells)
            var allowed = Set(unquote(cellArray[3]).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            if allowed.remove("system") != nil { allowed.formUnion(systemModules) }
            allowed.remove("—")
            return Row(target: unquote(cellArray[0]), folder: unquote(cellArray[1]), allowed: allowed)
        }
    }

    /// `import X`, `@testable import X`, `@_exported import X` and `import struct X.Y` of a file.
    static func imports(of file: URL) throws -> [String] {
        // Lines inside multi-line string literals (a Python script a test
        // runs, say) are not Swift imports.
        var inString = false
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line in
            let quotes = line.components(separatedBy: "\"\"\"").count - 1
            defer { if quotes % 2 == 1 { inString.toggle() } }
            guard !inString else { return nil }
            var words = line.split(separator: " ").map(String.init)
            while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
            guard words.first == "import", words.count >= 2 else { return nil }
            let module = words.count >= 3 && ["struct", "class", "enum", "protocol", "func", "typealias"].contains(words[1])
                ? words[2] : words[1]
            return String(module.split(separator: ".")[0])
        }
    }

    static func swiftFiles(under folder: URL) -> [URL] {
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" }
    }

    @Test func everyImportFollowsTheMap() throws {
        let rows = try Self.map()
        #expect(rows.count >= 10, "the map in DESIGN.md lost its rows: \(rows.map(\.target))")
        var violations: [String] = []
        for row in rows {
            for file in Self.swiftFiles(under: Self.root.appendingPathComponent(row.folder)) {
                for module in try Self.imports(of: file) where !row.allowed.contains(module) && module != row.target {
                    violations.append("\(file.path.dropFirst(Self.root.path.count + 1)) imports \(module), against the map's row for \(row.target)")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    /// Every folder under Sources/ and Tests/ that holds Swift is a row of the
    /// map, so a new target cannot slip past the rule.
    @Test func everyTargetIsOnTheMap() throws {
        let mapped = Set(try Self.map().map(\.folder))
        for top in ["Sources", "Tests"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent(top).path)
            for name in names where !Self.swiftFiles(under: Self.root.appendingPathComponent("\(top)/\(name)")).isEmpty {
                #expect(mapped.contains("\(top)/\(name)"), "\(top)/\(name) is not on the map in DESIGN.md")
            }
        }
    }

    /// The pure core stays pure: no file of LeakHistoryAnalysis opens a file,
    /// a process, a socket or a database.
    @Test func theAnalysisDoesNoIO() throws {
        let io = ["FileManager", "FileHandle", "Process(", "fopen(", "open(", "socket(", "sqlite3_", "URLSession", "Date()"]
        for file in Self.swiftFiles(under: Self.root.appendingPathComponent("Sources/LeakHistoryAnalysis")) {
            // Code only: a doc comment may show how a caller gets the time.
            let text = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
            for word in io {
                #expect(!text.contains(word), "\(file.lastPathComponent) uses \(word)")
            }
        }
    }

    /// The store keeps its promise of a typed method for every query: its
    /// connection is touched only by its own files.
    @Test func onlyTheStoreTouchesItsConnection() throws {
        let store = Self.root.appendingPathComponent("Sources/LeakHistory/Store").path
        var uses: [String] = []
        for file in Self.swiftFiles(under: Self.root.appendingPathComponent("Sources")) where !file.path.hasPrefix(store) {
            let text = try String(contentsOf: file, encoding: .utf8)
            let inStoreExtension = text.contains("extension HistoryStore")
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("store.db.") || line.contains("store.db)") || (inStoreExtension && line.contains(" db.")) {
                uses.append("\(file.lastPathComponent):\(n + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(uses.isEmpty, "\(uses.joined(separator: "\n"))")
    }
}
