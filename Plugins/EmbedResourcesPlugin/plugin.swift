import Foundation
import PackagePlugin

/// Embeds files that are not Swift into a target as Swift string constants,
/// so editors, linters and browsers read the files themselves and nothing is
/// read from the working directory at run time:
///
/// - `migrations/*.sql` and `queries/*.sql` of the package into the targets
///   that talk to the store (`EmbeddedMigrations`, `Queries`). Query files
///   named `bench_*.sql` go only into targets whose name ends in `Bench`.
/// - every file of the target's own `Resources/` folder (`EmbeddedResources`,
///   one constant per file: `dashboard.js` becomes `dashboardJs`).
///
/// The folders themselves are inputs, so adding a file re-runs the generator
/// without any edit to Package.swift.
@main
struct EmbedResourcesPlugin: BuildToolPlugin {
    /// The targets that read and write the store.
    static let storeTargets: Set<String> = ["LeakHistory", "LeakHistoryBench"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var arguments: [String] = []
        var inputs: [URL] = []
        func add(_ folder: URL, suffix: String?) {
            inputs.append(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            inputs += names.filter { suffix == nil ? !$0.hasPrefix(".") : $0.hasSuffix(suffix!) }.sorted()
                .map { folder.appending(path: $0) }
        }
        if Self.storeTargets.contains(target.name) {
            let migrations = root.appending(path: "migrations"), queries = root.appending(path: "queries")
            add(migrations, suffix: ".sql")
            add(queries, suffix: ".sql")
            arguments += ["--migrations", migrations.path, "--queries", queries.path]
            arguments += [target.name.hasSuffix("Bench") ? "--with-bench-queries" : "--without-bench-queries"]
        }
        let resources = target.directoryURL.appending(path: "Resources")
        if FileManager.default.fileExists(atPath: resources.path) {
            add(resources, suffix: nil)
            arguments += ["--resources", resources.path]
        }
        guard !arguments.isEmpty else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded.swift")
        return [
            .buildCommand(
                displayName: "Embedding files into \(target.name)",
                executable: try context.tool(named: "ResourceEmbedder").url,
                arguments: arguments + ["--output", output.path],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
