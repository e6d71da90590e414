import ArgumentParser
import Foundation
import LeakHistory

/// `leak-history ingest`: NDJSON events into the database.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Store NDJSON events (one JSON object per line) from a file or standard input.",
        discussion: """
            Lines: {"ts_ms":…, "usage_bytes":…} a snapshot; {"ts_ms":…, "component":"cache", "alloc_bytes":…} \
            or "dealloc_bytes" an event; {"ts_ms":…, "component":"rss_anon", "allocated_bytes":…} a gauge sample; \
            {"ts_ms":…, "event":"restart"} and {"ts_ms":…, "event":"baseline"}. Any line may carry "source". \
            A bad line is reported with its line number; the good ones are stored (with --strict, nothing is). \
            Ingesting the same file again stores nothing new: events already stored are recognised and skipped, \
            and a second, different value for a stored millisecond is reported as a bad line.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The NDJSON file, or - for standard input.", valueName: "file"))
    var file: String = "-"

    @Option(help: "The source of lines that carry none.")
    var source = "default"

    @Flag(help: "Store nothing when any line is bad.")
    var strict = false

    @Option(help: ArgumentHelp("Events per transaction.", valueName: "n"))
    var batch = 10_000

    @Flag(help: "After each committed batch, print 'committed N' (the events durable so far) on standard output.")
    var commitLines = false

    @Option(help: ArgumentHelp("The most components one source may have in the file; lines naming more are refused.", valueName: "n"))
    var maxComponents = HistoryWriter.defaultMaxComponentsPerSource

    @Option(help: ArgumentHelp("How long each batch waits, in all, for other writers of the file (e.g. 30s, 5m).", valueName: "duration"))
    var busyTimeout: DurationOption = "60s"

    func validate() throws {
        guard (1...1_000_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 1,000,000.") }
        guard maxComponents >= 1 else { throw ValidationError("--max-components must be at least 1.") }
        _ = try busyTimeoutMilliseconds()
    }

    private func busyTimeoutMilliseconds() throws -> Int32 {
        let ms = busyTimeout.milliseconds
        guard ms <= 3_600_000 else { throw ValidationError("--busy-timeout must be at most 1h.") }
        return Int32(ms)
    }

    func run() throws {
        let outcome = try failing { try ingest() }
        for error in outcome.rejected.prefix(50) { printError("error: \(error)") }
        if outcome.rejected.count > 50 { printError("… and \(outcome.rejected.count - 50) more bad lines") }
        if strict && !outcome.rejected.isEmpty {
            print("stored 0 events: \(outcome.rejected.count) bad line\(outcome.rejected.count == 1 ? "" : "s") (--strict)")
            throw ExitCode.failure
        }
        print("stored \(outcome.stored) events"
            + (outcome.alreadyStored == 0 ? "" : "; \(outcome.alreadyStored) already stored (skipped)")
            + (outcome.rejected.isEmpty ? "" : "; \(outcome.rejected.count) bad line\(outcome.rejected.count == 1 ? "" : "s") skipped"))
        if !outcome.rejected.isEmpty { throw ExitCode.failure }
    }

    private func ingest() throws -> (stored: Int, alreadyStored: Int, rejected: [InputError]) {
        let input: FileHandle
        if file == "-" {
            input = FileHandle.standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else {
                let reason = FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file"
                throw InputError(field: "file", message: "cannot read '\(file)': \(reason)")
            }
            input = handle
        }
        defer { if file != "-" { try? input.close() } }
        let writer = try HistoryWriter(path: database.path, maxComponentsPerSource: maxComponents,
                                       busyTimeoutMilliseconds: busyTimeoutMilliseconds(), logger: cliLogger)
        defer { try? writer.close() }
        let decoder = EventDecoder(defaultSource: source, nowMs: nowMs())
        let showProgress = standardErrorIsTerminal

        var stored = 0
        var alreadyStored = 0
        var batches = 0
        var rejected: [InputError] = []
        var pending: [IngestEvent] = []
        var pendingLines: [Int] = []
        func write() throws {
            guard !pending.isEmpty else { return }
            let result: IngestResult
            do {
                result = try writer.ingest(pending, lines: pendingLines, continuingInput: batches > 0)
            } catch let error as InputError {
                throw error
            } catch {
                throw stoppedEarly(error, stored: stored, resumeLine: pendingLines[0], rejected: rejected)
            }
            batches += 1
            stored += result.stored
            alreadyStored += result.alreadyStored
            rejected += result.rejected
            pending.removeAll(keepingCapacity: true)
            pendingLines.removeAll(keepingCapacity: true)
            if commitLines { FileHandle.standardOutput.write(Data("committed \(stored)\n".utf8)) }
            if showProgress { FileHandle.standardError.write(Data("\r  stored \(stored) events".utf8)) }
        }
        var lineNumber = 0
        try LineReader(handle: input).forEachLine { line in
            lineNumber += 1
            if EventDecoder.isBlank(line) { return }
            do {
                pending.append(try decoder.decode(line, line: lineNumber))
                pendingLines.append(lineNumber)
            } catch let error as InputError {
                rejected.append(error)
            }
            // --strict keeps everything for one all-or-nothing write at the end.
            if !strict && pending.count >= batch { try write() }
        }
        if strict {
            guard rejected.isEmpty else { return (0, 0, rejected) }
            do {
                let result = try writer.ingest(pending, atomic: true, lines: pendingLines)
                stored = result.stored
                alreadyStored = result.alreadyStored
            } catch let error as InputError {
                throw error
            } catch {
                throw stoppedEarly(error, stored: 0, resumeLine: pendingLines.first ?? 1, rejected: [])
            }
        } else {
            try write()
        }
        if showProgress { FileHandle.standardError.write(Data("\r".utf8)) }
        return (stored, alreadyStored, rejected.sorted { ($0.line ?? 0) < ($1.line ?? 0) })
    }
}

extension IngestCommand {
    /// A write that failed midway (a full disk, a lock held too long): what is
    /// stored, and where to start again so nothing is stored twice.
    private func stoppedEarly(_ error: any Error, stored: Int, resumeLine: Int, rejected: [InputError]) -> ExitCode {
        let cause = StorageFailure(error, path: database.path)?.message ?? "\(error)"
        for bad in rejected.prefix(50) { printError("error: \(bad)") }
        let input = file == "-" ? "the input" : "'\(file)'"
        var text = "error: \(cause)\n"
        if stored == 0 {
            text += "stored 0 events: nothing of \(input) was stored; run the same command again once the cause is fixed"
        } else {
            let resume = file == "-" ? "feed the input again from line \(resumeLine)"
                                     : "tail -n +\(resumeLine) \(file) | leak-history ingest --db \(database.path) -"
            text += "stored \(stored) events, from the lines before line \(resumeLine) of \(input)\(rejected.isEmpty ? "" : " (bad lines skipped)"); nothing from line \(resumeLine) on was stored: resume with `\(resume)`"
        }
        FileHandle.standardError.write(Data((text + "\n").utf8))
        return ExitCode.failure
    }
}

/// Reads a file or pipe line by line in 1 MiB chunks: memory stays flat for any input size.
struct LineReader {
    let handle: FileHandle

    func forEachLine(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        var carry: [UInt8] = []
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            carry.append(contentsOf: chunk)
            var start = carry.startIndex
            while let newline = carry[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try body(carry[start..<newline])
                start = newline + 1
            }
            carry.removeSubrange(..<start)
        }
        if !carry.isEmpty { try body(carry[...]) }
    }
}
