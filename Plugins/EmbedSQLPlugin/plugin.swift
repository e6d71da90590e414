import Foundation
import PackagePlugin

/// Embeds the package's `migrations/*.sql` and `queries/*.sql` into the target
/// as Swift constants. The two folders themselves are inputs, so adding a file
/// re-runs the generator without any edit to Package.swift.
@main
struct EmbedSQLPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let migrations = root.appending(path: "migrations")
        let queries = root.appending(path: "queries")
        var inputs = [migrations, queries]
        for folder in [migrations, queries] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            inputs += names.filter { $0.hasSuffix(".sql") }.sorted().map { folder.appending(path: $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSQL.swift")
        return [
            .buildCommand(
                displayName: "Embedding SQL files into \(target.name)",
                executable: try context.tool(named: "SQLEmbedder").url,
                arguments: [migrations.path, queries.path, output.path],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
