import CoreMetrics
import Foundation
import Glibc
import GossipNode
import GossipRuntime
import GossipTestSupport
import Testing
@testable import GossipObservability

/// A real Prometheus server, started on a free loopback port with a temporary storage folder and our own
/// configuration, scraping three registries served by the runtime's admin HTTP server (one event loop per
/// node, as a node runs it). It must load every rule healthy, and every recording
/// rule and dashboard expression must return data.
@Suite("Prometheus smoke test: our config, rules and dashboard on a real server", .serialized)
struct PrometheusSmokeTests {
    @Test("scrapes three nodes, loads every rule healthy, answers every dashboard and recording expression")
    func smoke() async throws {
        _ = try Tool.prometheus.require()
        // Three nodes' registries, each with the full metric set, each on its own loop's admin HTTP server.
        let nodes = (0..<3).map { _ in NodeMetrics() }
        var servers: [AdminHTTPServer] = []
        for (index, node) in nodes.enumerated() {
            node.registerAllDeclared()
            Gauge(label: "plumtree_eager_peers", factory: node).record(3 - index)
            Gauge(label: "plumtree_cache_capacity", factory: node).record(1000)
            Gauge(label: "plumtree_cache_size", factory: node).record(100 * (index + 1))
            Gauge(label: "memberlist_members", dimensions: [("state", "alive")], factory: node).record(3)
            let loop = try EventLoop(name: "obs-node-\(index)")
            let server = try await AdminHTTPServer.start(on: loop)
            server.route(.GET, "/metrics") { _ in HTTPResponse(ObservabilityEndpoints.metrics(node)) }
            servers.append(server)
        }
        do {
            try await scrapeAndCheck(nodes: nodes, addresses: servers.map { "\($0.localAddress)" })
        } catch {
            await stop(servers)
            throw error
        }
        await stop(servers)
    }

    @Test("scrapes three real gossip nodes while they broadcast; every rule healthy, every expression answered")
    func smokeWithRealNodes() async throws {
        _ = try Tool.prometheus.require()
        let nodes = try await startNodesWithAdmin(3, prefix: "prom")
        // Real traffic: broadcasts from each node in turn, so counters, histograms and rates move.
        let traffic = Task { [nodes] in
            var round = 0
            while !Task.isCancelled {
                _ = try? await nodes[round % nodes.count].broadcast(Array("smoke \(round)".utf8))
                round += 1
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let addresses = nodes.compactMap { $0.adminAddress.map { "\($0)" } }
        #expect(addresses.count == 3)
        do {
            try await scrapeAndCheck(nodes: [], addresses: addresses)
        } catch {
            traffic.cancel()
            for node in nodes { await node.shutdown() }
            throw error
        }
        traffic.cancel()
        for node in nodes { await node.shutdown() }
    }

    func stop(_ servers: [AdminHTTPServer]) async {
        for server in servers {
            await server.stop()
            await server.loop.shutdown()
        }
    }

    /// Runs Prometheus against the nodes at `addresses` and checks what it loaded and answers. `nodes` are
    /// registries to feed with moving values; empty for real nodes, which make their own traffic.
    func scrapeAndCheck(nodes: [NodeMetrics], addresses: [String]) async throws {
        let prometheusBinary = try Tool.prometheus.require()
        let directory = try makeTemporaryDirectory()
        var problems: [String] = []

        // Counters keep moving so that rates are not all zero.
        let feeding = Task.detached {
            let counters = nodes.map { Counter(label: "plumtree_messages_delivered_total", factory: $0) }
            let duplicates = nodes.map { Counter(label: "plumtree_messages_duplicate_total", factory: $0) }
            let latency = nodes.map { Recorder(label: "plumtree_graft_latency_seconds", factory: $0) }
            while !Task.isCancelled {
                for index in nodes.indices {
                    counters[index].increment(by: 10)
                    duplicates[index].increment(by: 2)
                    latency[index].record(0.03)
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { feeding.cancel() }

        // Our files, with intervals shortened for the test and the scrape targets pointed at the three nodes.
        // Prometheus scrapes itself too; that target is pointed at the port it binds once it is known.
        var config = try MonitoringFiles.text(MonitoringFiles.prometheusConfig)
        let targets = addresses.map { "\"\($0)\"" }.joined(separator: ", ")
        for (old, new) in [
            ("scrape_interval: 15s", "scrape_interval: 1s"), ("evaluation_interval: 15s", "evaluation_interval: 1s"),
            ("\"127.0.0.1:9101\", \"127.0.0.1:9102\", \"127.0.0.1:9103\", \"127.0.0.1:9104\", \"127.0.0.1:9105\"", targets),
        ] {
            try #require(config.contains(old), "prometheus.yml no longer contains \(old)")
            config = config.replacingOccurrences(of: old, with: new)
        }
        try #require(config.contains("127.0.0.1:9090"), "prometheus.yml no longer scrapes Prometheus itself")
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: MonitoringFiles.alerts.resolvingSymlinksInPath(), to: directory.appendingPathComponent("alerts.yml"))
        let recording = try MonitoringFiles.text(MonitoringFiles.recordingRulesFile)
        try #require(recording.contains("interval: 30s"))
        try recording.replacingOccurrences(of: "interval: 30s", with: "interval: 1s")
            .write(to: directory.appendingPathComponent("recording-rules.yml"), atomically: true, encoding: .utf8)

        let logURL = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prometheusBinary)
        process.arguments = [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:0", "--log.level=info",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        defer {
            // Stop the server we started, by its PID; bounded wait, then SIGKILL.
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
            if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
            try? log.close()
            if problems.isEmpty {
                try? FileManager.default.removeItem(at: directory)
            } else {
                let tail = ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").suffix(4000)
                Issue.record("Prometheus smoke test failed; log kept at \(logURL.path):\n\(tail)")
            }
        }
        let port: UInt16
        do {
            port = try await listeningPort(of: process, named: "prometheus")
        } catch {
            problems.append("\(error)")
            return
        }
        let base = "http://127.0.0.1:\(port)"

        func api(_ path: String) async -> [String: Any]? {
            guard let (status, data) = try? await httpGet(base + path), status == 200 else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        /// Polls `check` every 250 ms until it returns nil (done) or `limit` passes; returns the last complaint.
        func waitUntil(_ limit: Duration, _ check: () async -> String?) async -> String? {
            let deadline = ContinuousClock.now + limit
            var complaint: String? = "not checked"
            while ContinuousClock.now < deadline {
                complaint = await check()
                if complaint == nil || !process.isRunning { break }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return complaint
        }

        if let complaint = await waitUntil(.seconds(30), {
            guard let (status, _) = try? await httpGet(base + "/-/ready"), status == 200 else { return "not ready" }
            return nil
        }) {
            problems.append("Prometheus did not become ready: \(complaint)")
            return
        }

        // Now that its port is known, Prometheus is told to scrape itself there: the configuration is rewritten
        // and reloaded (SIGHUP), as an operator would.
        try config.replacingOccurrences(of: "127.0.0.1:9090", with: "127.0.0.1:\(port)")
            .write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        kill(pid, SIGHUP)
        if let complaint = await waitUntil(.seconds(30), {
            guard let data = (await api("/api/v1/targets"))?["data"] as? [String: Any],
                  let active = data["activeTargets"] as? [[String: Any]] else { return "no targets" }
            let own = active.filter { ($0["labels"] as? [String: String])?["job"] == "prometheus" }
            let urls = own.compactMap { $0["scrapeUrl"] as? String }
            return urls == ["http://127.0.0.1:\(port)/metrics"] && own.first?["health"] as? String == "up"
                ? nil : "the prometheus job scrapes \(urls), health \(own.first?["health"] ?? "none")"
        }) { problems.append("after the reload: \(complaint)") }

        if let complaint = await waitUntil(.seconds(30), {
            guard let data = (await api("/api/v1/targets"))?["data"] as? [String: Any],
                  let active = data["activeTargets"] as? [[String: Any]] else { return "no targets" }
            let plumtree = active.filter { ($0["labels"] as? [String: String])?["job"] == "plumtree" }
            let up = plumtree.filter { $0["health"] as? String == "up" }
            return up.count == 3 ? nil : "\(up.count) of \(plumtree.count) plumtree targets up"
        }) { problems.append(complaint) }

        let alertNames = Set(try MonitoringFiles.alertNames())
        let recordNames = Set(try MonitoringFiles.recordingRules().map(\.name))
        if let complaint = await waitUntil(.seconds(30), {
            guard let data = (await api("/api/v1/rules"))?["data"] as? [String: Any],
                  let groups = data["groups"] as? [[String: Any]] else { return "no rules" }
            let rules = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
            var seenAlerts = Set<String>(), seenRecords = Set<String>()
            for rule in rules {
                let name = rule["name"] as? String ?? "?"
                guard rule["health"] as? String == "ok" else { return "\(name): health \(rule["health"] ?? "none") \(rule["lastError"] ?? "")" }
                if rule["type"] as? String == "alerting" {
                    seenAlerts.insert(name)
                    let labels = rule["labels"] as? [String: String] ?? [:]
                    let annotations = rule["annotations"] as? [String: String] ?? [:]
                    guard labels["severity"] != nil, labels["component"] != nil,
                          annotations["summary"]?.isEmpty == false, annotations["description"]?.isEmpty == false
                    else { return "\(name): missing severity/component/summary/description" }
                } else {
                    seenRecords.insert(name)
                }
            }
            if seenAlerts != alertNames { return "alerts loaded \(seenAlerts.sorted()) != \(alertNames.sorted())" }
            if seenRecords != recordNames { return "records loaded \(seenRecords.sorted()) != \(recordNames.sorted())" }
            return nil
        }) { problems.append("rules: \(complaint)") }

        // Every recording rule's output, every recording expression and every dashboard expression.
        var queries = recordNames.sorted()
        queries += try MonitoringFiles.recordingRules().map(\.expr)
        for panel in try MonitoringFiles.dashboardPanels() { queries += panel.exprs.map(MonitoringFiles.concrete) }
        var pending = queries
        _ = await waitUntil(.seconds(45)) {
            var still: [String] = []
            for query in pending {
                guard let data = (await api("/api/v1/query?query=\(encodeQuery(query))"))?["data"] as? [String: Any],
                      let result = data["result"] as? [Any], !result.isEmpty else { still.append(query); continue }
            }
            pending = still
            return pending.isEmpty ? nil : "\(pending.count) without data"
        }
        for query in pending { problems.append("no data for: \(query)") }

        // The three nodes are three instances, each with its own values (set by hand for registries).
        if nodes.isEmpty {
            if let data = (await api("/api/v1/query?query=\(encodeQuery("plumtree_eager_peers{job=\"plumtree\"}"))"))?["data"] as? [String: Any],
               let result = data["result"] as? [[String: Any]], result.count == 3 {
            } else {
                problems.append("expected plumtree_eager_peers from three instances")
            }
        } else if let data = (await api("/api/v1/query?query=\(encodeQuery("plumtree_eager_peers{job=\"plumtree\"}"))"))?["data"] as? [String: Any],
           let result = data["result"] as? [[String: Any]] {
            let values = Set(result.compactMap { ($0["value"] as? [Any])?.last as? String })
            if result.count != 3 || values != ["1", "2", "3"] { problems.append("eager peers per instance: \(result)") }
        } else {
            problems.append("eager peers query failed")
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}

/// The one TCP port `process` listens on, read back once it has bound the port 0 it was given.
func listeningPort(of process: Process, named name: String, timeout: Duration = .seconds(30)) async throws -> UInt16 {
    let sockets = try await ListeningSockets.wait(pid: process.processIdentifier, process: name, for: "one TCP port",
                                                  timeout: timeout, isRunning: { process.isRunning }, until: { $0.tcp.count == 1 })
    return sockets.tcp.first!
}

extension HTTPResponse {
    /// The admin server's response for an observability answer.
    init(_ answer: HTTPAnswer) {
        self.init(status: HTTPStatus(code: answer.status), contentType: answer.contentType, body: answer.body)
    }
}
