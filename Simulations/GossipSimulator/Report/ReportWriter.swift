import Foundation
import GossipObservability

/// Writes a run's report folder: report.md with the figures, the alert verdict and four SVG charts
/// (delivery latency CDF, RMR over time, members by state, alert timeline), beside the promtool test file.
public enum ReportWriter {
    static func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
    static func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }

    /// A few lines for the terminal.
    public static func summary(_ r: ScenarioResult) -> String {
        let m = r.measures
        var lines = [
            "\(r.passed ? "PASS" : "FAIL") \(r.scenario)  nodes=\(r.nodes) seed=\(r.seed) membership=\(r.membership.rawValue)  wall \(f(r.wallSeconds, 1)) s for \(f(r.durationSeconds / 60, 1)) virtual min",
            "  reliability \(f(m.reliability, 4))  RMR \(f(m.rmr))  LDH \(f(m.ldh, 2))  latency p50 \(ms(m.latencyP50)) p99 \(ms(m.latencyP99))  messages \(m.messages)",
        ]
        if let b = r.baseline {
            lines.append("  flood baseline: RMR \(f(b.rmr)) (Plumtree/flood \(f(b.rmr > 0 ? m.rmr / b.rmr : 0, 2)))  msgs/delivery \(f(b.plumtreeMessagesPerDelivery, 2)) vs \(f(m.plumtreeMessagesPerDelivery, 2))  p99 \(ms(b.latencyP99))")
        }
        if let v = r.verdict {
            let fired = Set(v.fired.map { "\($0.alert){\($0.instance)}" }).count
            lines.append("  alerts: \(v.passed ? "proven by promtool" : "NOT as expected"), \(Set(v.expected.map { "\($0.alert){\($0.instance)}" }).count) expected, \(fired) fired")
        }
        return lines.joined(separator: "\n")
    }

    public static func write(_ r: ScenarioResult, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let c = r.charts
        let end = r.durationSeconds
        try SVGChart.lines(title: "Delivery latency CDF", xLabel: "seconds from broadcast (log)", yLabel: "share of deliveries",
                           series: [("deliveries", c.latencyCDF)], logX: true)
            .write(toFile: "\(directory)/latency-cdf.svg", atomically: true, encoding: .utf8)
        try SVGChart.lines(title: "RMR per scrape interval", xLabel: "virtual seconds", yLabel: "duplicates per delivery",
                           series: [("RMR", c.rmrOverTime)], marks: c.marks)
            .write(toFile: "\(directory)/rmr.svg", atomically: true, encoding: .utf8)
        try SVGChart.lines(title: "Members by state (mean view of running nodes)", xLabel: "virtual seconds", yLabel: "members",
                           series: c.membersByState, marks: c.marks)
            .write(toFile: "\(directory)/members.svg", atomically: true, encoding: .utf8)
        try SVGChart.timeline(title: "Alerts firing (promtool, at each check)", spans: c.alertSpans, end: end, marks: c.marks)
            .write(toFile: "\(directory)/alerts.svg", atomically: true, encoding: .utf8)
        try markdown(r).write(toFile: "\(directory)/report.md", atomically: true, encoding: .utf8)
        try ResultJSON.render(r).write(toFile: "\(directory)/result.json", atomically: true, encoding: .utf8)
    }

    static func markdown(_ r: ScenarioResult) -> String {
        let m = r.measures
        var md = "# \(r.scenario): \(r.passed ? "passed" : "FAILED")\n\n"
        md += "\(Catalogue.named(r.scenario)?.summary ?? "")\n\n"
        md += "- nodes: \(r.nodes), seed: \(r.seed), membership: \(r.membership.rawValue)\n"
        md += "- virtual time: \(f(r.durationSeconds / 60, 1)) min, wall time: \(f(r.wallSeconds, 1)) s, events: \(m.events)\n"
        md += "- replay: `\(r.replayCommand)`\n\n"
        if !r.failures.isEmpty {
            md += "## Failures\n\n" + r.failures.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        }
        md += "## Figures\n\n| measure | Plumtree |\(r.baseline != nil ? " flood baseline | ratio |" : "")\n|---|---|\(r.baseline != nil ? "---|---|" : "")\n"
        func row(_ name: String, _ value: (RunMeasures) -> Double, _ format: (Double) -> String) {
            md += "| \(name) | \(format(value(m))) |"
            if let b = r.baseline {
                let ratio = value(b) != 0 ? value(m) / value(b) : 0
                md += " \(format(value(b))) | \(f(ratio, 2)) |"
            }
            md += "\n"
        }
        row("broadcasts", { Double($0.messages) }, { f($0, 0) })
        row("reliability (mean share of eligible nodes)", { $0.reliability }, { f($0, 4) })
        row("broadcasts delivered to every node", { $0.fullyDelivered }, { f($0, 4) })
        row("RMR", { $0.rmr }, { f($0) })
        row("LDH (mean last delivery hop)", { $0.ldh }, { f($0, 2) })
        row("latency p50", { $0.latencyP50 }, ms)
        row("latency p90", { $0.latencyP90 }, ms)
        row("latency p99", { $0.latencyP99 }, ms)
        row("latency max", { $0.latencyMax }, ms)
        row("messages per delivery (all traffic)", { $0.messagesPerDelivery }, { f($0, 2) })
        row("bytes per delivery (all traffic)", { $0.bytesPerDelivery }, { f($0, 0) })
        row("Plumtree messages per delivery", { $0.plumtreeMessagesPerDelivery }, { f($0, 2) })
        row("Gossip sent", { $0.gossipSent }, { f($0, 0) })
        row("IHave sent", { $0.ihaveSent }, { f($0, 0) })
        row("Grafts sent", { $0.graftsSent }, { f($0, 0) })
        row("Grafts answered", { $0.graftSuccesses }, { f($0, 0) })
        row("Grafts given up", { $0.graftFailures }, { f($0, 0) })
        row("Prunes sent", { $0.prunesSent }, { f($0, 0) })
        md += "\n| membership | value |\n|---|---|\n"
        md += "| false suspicions | \(m.falseSuspicions) |\n| false deaths | \(m.falseDeaths) |\n"
        md += "| time to first detection of a crash | \(m.timeToFirstDetection.map { f($0, 2) + " s" } ?? "n/a") |\n"
        md += "| time until every survivor saw a crash | \(m.timeToFullDetection.map { f($0, 2) + " s" } ?? "n/a") |\n"
        md += "| time from heal to the last repair delivery | \(m.timeToHeal.map { f($0, 2) + " s" } ?? "n/a") |\n"
        md += "| datagrams sent / lost / cut by partitions | \(m.datagramsSent) / \(m.datagramsLost) / \(m.datagramsCut) |\n"
        md += "| streams opened / failed | \(m.streamsOpened) / \(m.streamsFailed) |\n\n"
        md += "## Charts\n\n![latency CDF](latency-cdf.svg)\n\n![RMR over time](rmr.svg)\n\n![members by state](members.svg)\n\n![alert timeline](alerts.svg)\n\n"
        if let v = r.verdict {
            md += "## Alerts\n\nRules: `\(v.alertNames.count)` alerts from the rule file; promtool test: `\(URL(fileURLWithPath: v.testFile).lastPathComponent)` "
            md += "(rerun with `promtool test rules \(URL(fileURLWithPath: v.testFile).lastPathComponent)` in this folder).\n\n"
            let expected = Dictionary(grouping: v.expected, by: { "\($0.alert) on \($0.instance)" })
            let fired = Dictionary(grouping: v.fired, by: { "\($0.alert) on \($0.instance)" })
            md += "| alert on instance | expected at checks | fired at checks | first fired |\n|---|---|---|---|\n"
            for key in Set(expected.keys).union(fired.keys).sorted() {
                let first = fired[key]?.map(\.seconds).min().map { "\(f(Double($0) / 60, 1)) min" } ?? "-"
                md += "| \(key) | \(expected[key]?.count ?? 0) | \(fired[key]?.count ?? 0) | \(first) |\n"
            }
            if expected.isEmpty && fired.isEmpty { md += "| (none) | 0 | 0 | - |\n" }
            md += "\n"
        }
        md += "## Reading this report\n\nSee docs/SIMULATOR.md, section \"Reading a report\".\n"
        return md
    }
}

/// The machine-readable result (`--json`, result.json).
public enum ResultJSON {
    public static func render(_ r: ScenarioResult) -> String {
        let m = r.measures
        var fields: [(String, String)] = [
            ("scenario", quote(r.scenario)), ("passed", r.passed ? "true" : "false"), ("seed", "\(r.seed)"), ("nodes", "\(r.nodes)"),
            ("membership", quote(r.membership.rawValue)),
            ("reliability", num(m.reliability)), ("fully_delivered", num(m.fullyDelivered)), ("rmr", num(m.rmr)), ("ldh", num(m.ldh)),
            ("latency_p50", num(m.latencyP50)), ("latency_p90", num(m.latencyP90)), ("latency_p99", num(m.latencyP99)),
            ("messages", "\(m.messages)"), ("deliveries", "\(m.deliveries)"),
            ("messages_per_delivery", num(m.messagesPerDelivery)), ("bytes_per_delivery", num(m.bytesPerDelivery)),
            ("plumtree_messages_per_delivery", num(m.plumtreeMessagesPerDelivery)),
            ("gossip_sent", num(m.gossipSent)), ("ihave_sent", num(m.ihaveSent)), ("prunes_sent", num(m.prunesSent)),
            ("plumtree_delivered", num(m.plumtreeDelivered)),
            ("grafts_sent", num(m.graftsSent)), ("graft_successes", num(m.graftSuccesses)), ("graft_failures", num(m.graftFailures)),
            ("false_suspicions", "\(m.falseSuspicions)"), ("false_deaths", "\(m.falseDeaths)"),
            ("time_to_first_detection", m.timeToFirstDetection.map(num) ?? "null"),
            ("time_to_full_detection", m.timeToFullDetection.map(num) ?? "null"),
            ("time_to_heal", m.timeToHeal.map(num) ?? "null"),
            ("alerts_expected", list(Set(r.verdict?.expected.map { "\($0.alert){instance=\"\($0.instance)\"}" } ?? []))),
            ("alerts_fired", list(Set(r.verdict?.fired.map { "\($0.alert){instance=\"\($0.instance)\"}" } ?? []))),
            ("failures", "[" + r.failures.map(quote).joined(separator: ",") + "]"),
            ("wall_seconds", num(r.wallSeconds)), ("virtual_seconds", num(r.durationSeconds)), ("events", "\(m.events)"),
            ("replay", quote(r.replayCommand)),
        ]
        if let b = r.baseline {
            fields.append(("baseline", "{\"rmr\":\(num(b.rmr)),\"ldh\":\(num(b.ldh)),\"reliability\":\(num(b.reliability)),\"latency_p50\":\(num(b.latencyP50)),\"latency_p99\":\(num(b.latencyP99)),\"plumtree_messages_per_delivery\":\(num(b.plumtreeMessagesPerDelivery))}"))
        }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func list(_ items: Set<String>) -> String { "[" + items.sorted().map(quote).joined(separator: ",") + "]" }

    static func num(_ value: Double) -> String {
        value.isFinite ? String(format: "%.6g", value) : "null"
    }

    static func quote(_ text: String) -> String {
        var out = ""
        JSONWriter.appendQuoted(text, to: &out)
        return out
    }
}
