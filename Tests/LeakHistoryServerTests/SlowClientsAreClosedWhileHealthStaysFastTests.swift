import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real `serve` closes connections that trickle their request head (one
/// header line at a time), that stall in their body, or that sit idle after
/// a response; meanwhile other clients are answered. With a connection cap,
/// excess connections wait to be accepted instead of being served at once.
@Suite(.serialized) struct SlowClientsAreClosedWhileHealthStaysFastTests {
    /// Sends one more header line to every open socket, every 250 ms, for at most `seconds`.
    static func trickle(_ sockets: [RawSocket], seconds: Double) {
        let rounds = Int(seconds / 0.25)
        for round in 0..<rounds {
            for socket in sockets { socket.send("X-Slow-\(round): 1\r\n") }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    @Test func twoHundredSlowHeaderSocketsAreClosedAndHealthIsAnsweredMeanwhile() throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0", "--header-timeout", "1s"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let sockets = try (0..<200).map { _ in try RawSocket(port: port) }
        for socket in sockets { socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n") }
        let trickler = Thread { Self.trickle(sockets, seconds: 4) }
        trickler.start()
        var healthMs: [Double] = []
        for _ in 0..<5 {
            let started = Date()
            let reply = try RawHTTP.request(port: port, method: "GET", path: "/health")
            healthMs.append(Date().timeIntervalSince(started) * 1000)
            #expect(reply.status == 200)
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Each slow socket got a 408 and was closed, though it kept sending.
        var closed = 0
        var answered408 = 0
        for socket in sockets {
            let outcome = socket.closedByServer(timeoutMs: 3_000)
            if outcome.closed { closed += 1 }
            if outcome.received.hasPrefix("HTTP/1.1 408") && outcome.received.contains("\"error\"") { answered408 += 1 }
        }
        #expect(closed == 200)
        #expect(answered408 == 200)
        print("slow headers: \(closed) of 200 sockets closed by the 1 s header timeout; /health meanwhile in \(healthMs.map { String(format: "%.1f", $0) }.joined(separator: ", ")) ms")
        let metrics = try RawHTTP.request(port: port, method: "GET", path: "/metrics")
        #expect(metrics.body.contains(#"leak_history_http_timeouts_total{phase="header"} 200"#))
    }

    @Test func aStalledBodyAndAnIdleKeepAliveConnectionAreClosed() throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0", "--header-timeout", "1s", "--body-timeout", "1s"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let stalled = try RawSocket(port: port)
        stalled.send("POST /api/v1/memory/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"usage_bytes\":")
        let idle = try RawSocket(port: port)
        idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(stalled.closedByServer(timeoutMs: 4_000).closed)
        let idleOutcome = idle.closedByServer(timeoutMs: 4_000)
        #expect(idleOutcome.closed)
        #expect(idleOutcome.received.hasPrefix("HTTP/1.1 200"))
        #expect(try fixture.storedCounts().snapshots == 0)
    }

    @Test func pastTheConnectionCapANewClientWaitsUntilASlowOneIsClosed() throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0", "--header-timeout", "1500ms",
                                             "--max-connections", "20"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let started = Date()
        let sockets = try (0..<20).map { _ in try RawSocket(port: port) }
        for socket in sockets { socket.send("GET /health HTTP/1.1\r\n") }
        Thread.sleep(forTimeInterval: 0.2)
        let reply = try RawHTTP.request(port: port, method: "GET", path: "/health")
        let waited = Date().timeIntervalSince(started)
        #expect(reply.status == 200)
        // Served only once the header timeout freed a place: not before 1.5 s.
        #expect(waited >= 1.4)
        print("connection cap 20: the 21st client was answered after \(String(format: "%.2f", waited)) s")
    }
}
