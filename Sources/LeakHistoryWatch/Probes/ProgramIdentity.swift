import LeakHistory

/// What a command line runs, as a short stable name: the program, or for an
/// interpreter the script or module it runs.
///
/// ```swift
/// ProgramIdentity(arguments: ["python3", "leaky.py"]).sourceName      // "leaky.py"
/// ProgramIdentity(arguments: ["python3", "leaky.py"]).componentName   // "proc:python3 leaky.py"
/// ProgramIdentity(arguments: ["/usr/bin/redis-server", "/etc/redis.conf"]).sourceName   // "redis-server"
/// ```
///
/// The same rule applies to the command given after `--` and to the
/// `/proc/PID/cmdline` of a process attached with `--pid`, so re-attaching a
/// service continues its history. For an interpreter (Python, Node, Ruby,
/// Perl, PHP, Java, a shell, …) the name is its first non-option argument's
/// file name (`-m module` and `-jar file` count as that argument; `-c`/`-e`
/// code does not, leaving the interpreter's own name); `env` and its
/// assignments are skipped. Any other program is named after its file name,
/// whatever its arguments.
public struct ProgramIdentity: Sendable, Equatable {
    /// The program's file name: `python3`, `redis-server`.
    public let program: String
    /// The script, module or jar an interpreter runs, if any: `leaky.py`.
    public let script: String?

    public init(arguments: [String]) {
        var rest = arguments[...]
        // `env [-i] [NAME=value …] program …` runs `program`.
        while let first = rest.first, Self.fileName(first) == "env" {
            rest = rest.dropFirst()
            while let next = rest.first, next.hasPrefix("-") || (next.contains("=") && !next.hasPrefix("/")) {
                rest = rest.dropFirst()
            }
        }
        let program = rest.first.map(Self.fileName) ?? ""
        self.program = program
        script = Self.isInterpreter(program) ? Self.script(in: rest.dropFirst()) : nil
    }

    /// Reads `/proc/PID/cmdline`; `nil` when it cannot be read or is empty
    /// (a kernel thread, a zombie, a process that has exited).
    static func of(pid: Int32) -> ProgramIdentity? {
        guard pid > 0, let text = try? ProcFile.read("/proc/\(pid)/cmdline") else { return nil }
        let arguments = text.split(separator: "\0", omittingEmptySubsequences: true).map(String.init)
        let identity = ProgramIdentity(arguments: arguments)
        return identity.program.isEmpty ? nil : identity
    }

    /// The default source name: the script, else the program.
    public var sourceName: String {
        MemorySampler.cleanedName(script ?? program, fallback: "command")
    }

    /// The gauge component of this program in a process tree: `proc:python3 leaky.py`, `proc:redis-server`.
    public var componentName: String {
        let label = script.map { "\(program) \($0)" } ?? program
        return "proc:" + MemorySampler.cleanedName(label, fallback: "?")
    }

    /// Interpreters, by the file name less any version digits (`python3.12` → `python`).
    private static let interpreters: Set<String> = [
        "python", "pypy", "node", "nodejs", "deno", "bun", "ruby", "perl", "php", "java", "lua", "luajit",
        "Rscript", "julia", "sh", "bash", "dash", "zsh", "ksh", "fish", "tclsh", "dotnet", "mono", "erl", "elixir",
    ]

    /// Options of interpreters that take the next argument as their value.
    private static let optionsWithValue: Set<String> = [
        "-W", "-X", "-r", "--require", "-cp", "-classpath", "--class-path",
    ]
    /// Options whose value is what runs: `python3 -m http.server`, `java -jar app.jar`.
    private static let optionsNamingTheScript: Set<String> = ["-m", "-jar"]
    /// Options whose value is inline code: the interpreter's own name is the best there is.
    private static let optionsWithCode: Set<String> = ["-c", "-e", "--eval", "-p", "--print", "-E"]

    static func isInterpreter(_ program: String) -> Bool {
        var name = Substring(program)
        while let last = name.last, last.isNumber || last == "." || last == "-" { name = name.dropLast() }
        return interpreters.contains(String(name))
    }

    private static func script(in arguments: ArraySlice<String>) -> String? {
        var rest = arguments
        while let argument = rest.first {
            rest = rest.dropFirst()
            if argument == "--" { return rest.first.map(fileName) }
            if optionsNamingTheScript.contains(argument) { return rest.first.map(fileName) }
            if optionsWithCode.contains(argument) { return nil }
            if optionsWithValue.contains(argument) {
                rest = rest.dropFirst()
                continue
            }
            if argument.hasPrefix("-") && argument.count > 1 { continue }
            return argument.isEmpty ? nil : fileName(argument)
        }
        return nil
    }

    private static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
