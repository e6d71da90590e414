// Generates Swift constants from files that are not Swift: the numbered
// schema files in migrations/, the query files in queries/ and a target's
// Resources/ folder, so those files stay the single source of truth and
// nothing reads them from the working directory at run time.
//
// Usage: ResourceEmbedder [--migrations DIR --queries DIR
//                          (--with-bench-queries | --without-bench-queries)]
//                         [--resources DIR] --output FILE.swift
import Foundation

struct EmbedError: Error, CustomStringConvertible {
    let description: String
}

func files(in directory: URL, suffix: String?) throws -> [URL] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    return names.filter { suffix.map($0.hasSuffix) ?? !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
}

/// A raw string literal whose delimiter cannot occur in `text`.
func rawLiteral(_ text: String) -> String {
    var hashes = "#"
    while text.contains("\"" + hashes) || text.contains("\\" + hashes) {
        hashes += "#"
    }
    return hashes + "\"\"\"\n" + text + "\n\"\"\"" + hashes
}

/// `insert_component_sample` becomes `insertComponentSample`, `dashboard.js`
/// becomes `dashboardJs`.
func identifier(fromFileName name: String) throws -> String {
    let parts = name.split(whereSeparator: { $0 == "_" || $0 == "." || $0 == "-" }).map(String.init)
    guard let first = parts.first, !first.isEmpty,
          name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }),
          first.first!.isLetter
    else {
        throw EmbedError(description: "file name '\(name)' must be made of ASCII letters, digits, '_', '.' and '-', starting with a letter")
    }
    return first + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

func contents(_ url: URL, trimmed: Bool) throws -> String {
    let text = try String(contentsOf: url, encoding: .utf8)
    let result = trimmed ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
    guard !result.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw EmbedError(description: "\(url.lastPathComponent) is empty")
    }
    return result
}

func migrations(_ directory: URL) throws -> String {
    var out = """
    enum EmbeddedMigrations {
        static let all: [Migration] = [

    """
    var expected = 1
    for url in try files(in: directory, suffix: ".sql") {
        let stem = url.deletingPathExtension().lastPathComponent
        let digits = stem.prefix(while: \.isNumber)
        guard let version = Int(digits), stem.dropFirst(digits.count).first == "_" else {
            throw EmbedError(description: "migration '\(url.lastPathComponent)' must be named NNN_name.sql")
        }
        guard version == expected else {
            throw EmbedError(description: "migration '\(url.lastPathComponent)' has version \(version); expected \(expected) (versions are 1, 2, 3… with no gap)")
        }
        expected += 1
        let name = String(stem.dropFirst(digits.count + 1))
        out += "        Migration(version: \(version), name: \"\(name)\", sql: \(rawLiteral(try contents(url, trimmed: true)))),\n"
    }
    return out + "    ]\n}\n\n"
}

func queries(_ directory: URL, bench: Bool) throws -> String {
    var out = "/// One constant per file in queries/, named after the file.\nenum Queries {\n"
    var seen = Set<String>()
    for url in try files(in: directory, suffix: ".sql") where url.lastPathComponent.hasPrefix("bench_") == bench || !url.lastPathComponent.hasPrefix("bench_") {
        let name = try identifier(fromFileName: url.deletingPathExtension().lastPathComponent)
        guard seen.insert(name).inserted else {
            throw EmbedError(description: "two query files map to the name '\(name)'")
        }
        out += "    /// queries/\(url.lastPathComponent)\n"
        out += "    static let \(name) = \(rawLiteral(try contents(url, trimmed: true)))\n"
    }
    return out + "}\n\n"
}

func resources(_ directory: URL) throws -> String {
    var out = "/// One constant per file in the target's Resources/ folder, named after the file.\nenum EmbeddedResources {\n"
    var seen = Set<String>()
    for url in try files(in: directory, suffix: nil) {
        let name = try identifier(fromFileName: url.lastPathComponent)
        guard seen.insert(name).inserted else {
            throw EmbedError(description: "two resource files map to the name '\(name)'")
        }
        // Resources keep their bytes as they are (a trailing newline included).
        var text = try contents(url, trimmed: false)
        if text.hasSuffix("\n") { text.removeLast() }
        out += "    /// Resources/\(url.lastPathComponent)\n"
        out += "    static let \(name) = \(rawLiteral(text)) + \"\\n\"\n"
    }
    return out + "}\n"
}

func generate(_ arguments: [String]) throws -> (source: String, output: URL) {
    var options: [String: String] = [:]
    var flags = Set<String>()
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        switch argument {
        case "--migrations", "--queries", "--resources", "--output":
            guard let value = rest.popFirst() else { throw EmbedError(description: "\(argument) needs a value") }
            options[argument] = value
        case "--with-bench-queries", "--without-bench-queries":
            flags.insert(argument)
        default:
            throw EmbedError(description: "unknown argument '\(argument)'")
        }
    }
    guard let output = options["--output"] else { throw EmbedError(description: "--output is required") }
    var out = "// Generated by ResourceEmbedder. Do not edit.\n"
    if let dir = options["--migrations"] {
        out += "import SQLiteStore\n\n" + (try migrations(URL(fileURLWithPath: dir)))
    }
    if let dir = options["--queries"] {
        out += try queries(URL(fileURLWithPath: dir), bench: flags.contains("--with-bench-queries"))
    }
    if let dir = options["--resources"] {
        out += try resources(URL(fileURLWithPath: dir))
    }
    return (out, URL(fileURLWithPath: output))
}

do {
    let (source, output) = try generate(Array(CommandLine.arguments.dropFirst()))
    // Rewriting identical content would force a recompile of the module.
    if (try? String(contentsOf: output, encoding: .utf8)) != source {
        try source.write(to: output, atomically: true, encoding: .utf8)
    }
} catch {
    FileHandle.standardError.write(Data("error: ResourceEmbedder: \(error)\n".utf8))
    exit(1)
}
