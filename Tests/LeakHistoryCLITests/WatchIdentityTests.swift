import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// A source's default name comes from the program and, for an interpreter,
/// the script it runs; started with `--` or attached with `--pid`, the same
/// service gets the same name, so its history continues.
@Suite struct WatchIdentityTests {
    @Test func namesComeFromTheProgramOrTheScriptAnInterpreterRuns() {
        let cases: [([String], String, String)] = [
            (["python3", "leaky.py"], "leaky.py", "proc:python3 leaky.py"),
            (["/usr/bin/python3.12", "-u", "-W", "ignore", "/srv/app/worker.py", "--port", "80"], "worker.py", "proc:python3.12 worker.py"),
            (["python3", "-m", "http.server", "8000"], "http.server", "proc:python3 http.server"),
            (["python3", "-c", "print(1)"], "python3", "proc:python3"),
            (["redis-server", "/etc/redis/redis.conf"], "redis-server", "proc:redis-server"),
            (["/usr/sbin/nginx", "-g", "daemon off;"], "nginx", "proc:nginx"),
            (["node", "--max-old-space-size=512", "server.js"], "server.js", "proc:node server.js"),
            (["java", "-Xmx1g", "-jar", "/opt/app.jar"], "app.jar", "proc:java app.jar"),
            (["bash", "-c", "sleep 1 & wait"], "bash", "proc:bash"),
            (["sh", "./run.sh"], "run.sh", "proc:sh run.sh"),
            (["env", "-i", "FOO=1", "ruby", "app.rb"], "app.rb", "proc:ruby app.rb"),
            ([], "command", "proc:?"),
        ]
        for (arguments, source, component) in cases {
            let identity = ProgramIdentity(arguments: arguments)
            #expect(identity.sourceName == source, "\(arguments)")
            #expect(identity.componentName == component, "\(arguments)")
        }
        // A control character, which the store refuses in names, never reaches it.
        #expect(ProgramIdentity(arguments: ["python3", "a\u{7}b.py"]).sourceName == "a?b.py")
        let long = ProgramIdentity(arguments: [String(repeating: "x", count: 500)]).sourceName
        #expect(long.utf8.count <= InputRules.maxNameBytes)
    }

    @Test func startingAndAttachingTheSameServiceRecordIntoOneSource() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let started = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "1s", "--",
                         programs.python, "\(dir.url.path)/steady.py", "10", "30"])
        }
        #expect(started.status == 124, "\(started.stderr)")
        #expect(started.stdout.contains("source 'steady.py'"), "\(started.stdout)")

        // The same program, started by someone else, then attached to.
        let service = try ChildProcess.spawn([programs.python, "\(dir.url.path)/steady.py", "10", "30"])
        defer { _ = service.terminate(graceSecs: 2) }
        let other = try ChildProcess.spawn([programs.python, "\(dir.url.path)/leaky.py", "1", "30"])
        defer { _ = other.terminate(graceSecs: 2) }
        #expect(programs.waitForPrograms(2))
        let attached = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "1s",
                         "--pid", "\(service.pid)", "--pid", "\(other.pid)"])
        }
        #expect(attached.status == 0, "\(attached.stderr)")
        #expect(attached.stdout.contains("source 'steady.py' (pid \(service.pid))"), "\(attached.stdout)")
        #expect(attached.stdout.contains("source 'leaky.py' (pid \(other.pid))"), "\(attached.stdout)")
        #expect(service.exitStatus == nil, "attaching never stops a process")

        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let runs = try reader.runs(source: "steady.py")
        #expect(runs.count == 2, "one history, two runs")
        #expect(runs.last?.pid == Int64(service.pid))
        // Two different programs of one interpreter never share a source.
        #expect(try reader.runs(source: "leaky.py").count == 1)
        #expect(try reader.runs(source: "python3").isEmpty)
    }
}
