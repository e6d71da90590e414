import ArgumentParser
import LeakHistory

/// `--source NAME`, for the commands that read or change one source; without
/// it, the only source the database holds (with several, an error naming
/// them, so nothing is created or read by accident).
///
/// ```swift
/// @OptionGroup var source: SourceOptions
/// let name = try source.resolved(in: reader)
/// ```
struct SourceOptions: ParsableArguments {
    @Option(name: .customLong("source"), help: ArgumentHelp("The source (default: the only one; `leak-history sources` lists them).", valueName: "name"))
    var name: String?

    /// The named source, checked to exist, else the only one.
    func resolved(in reader: HistoryReader) throws -> String {
        if let name {
            _ = try reader.sourceSummary(name)
            return name
        }
        return try Self.onlySource(reader)
    }

    /// The source of a database that holds exactly one; else an error naming them.
    static func onlySource(_ reader: HistoryReader) throws -> String {
        let names = try reader.sources()
        guard names.count == 1 else {
            throw InputError(field: "source", message: names.isEmpty
                ? "'\(reader.path)' holds no sources yet"
                : "'\(reader.path)' holds \(names.count) sources; pick one with --source (\(names.joined(separator: ", ")))")
        }
        return names[0]
    }
}
