import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history export`: raw samples as RFC 4180 CSV, streamed.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export stored samples as CSV (RFC 4180, with a header row), streamed."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var window: WindowOptions

    @Flag(help: "CSV output (the only format, and the default; accepted for scripts).")
    var csv = false

    @Option(help: "What to export: snapshots or components.")
    var what: String = "snapshots"

    @Option(help: "Only this source (default: every source).")
    var source: String?

    @Option(help: "Only this component (with --what components).")
    var component: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard ExportKind(rawValue: what) != nil else { throw ValidationError("--what is snapshots or components, not '\(what)'.") }
        if component != nil && what != "components" { throw ValidationError("--component goes with --what components.") }
    }

    func run() throws {
        let now = nowMs()
        let rows = try failing { () throws -> Int in
            let reader = try HistoryReader(path: database.path)
            defer { try? reader.close() }
            let window = try self.window.window(defaultSpanMs: now, nowMs: now)
            let handle: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    throw InputError(field: "output", message: "cannot create '\(output)'")
                }
                handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            } else {
                handle = FileHandle.standardOutput
            }
            defer { if output != nil { try? handle.close() } }
            let showProgress = standardErrorIsTerminal
            let rows = try reader.exportCSV(ExportKind(rawValue: what)!, source: source, component: component, window: window,
                                            progress: showProgress ? { n in FileHandle.standardError.write(Data("\r  exported \(n) rows".utf8)) } : nil) {
                try handle.write(contentsOf: $0)
            }
            if showProgress { FileHandle.standardError.write(Data("\r".utf8)) }
            return rows
        }
        if output != nil || standardErrorIsTerminal {
            printError("exported \(rows) \(what) rows" + (output.map { " to \($0)" } ?? ""))
        }
    }
}
