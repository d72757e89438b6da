import Foundation
import GossipObservability

/// One alert seen firing at a check time.
public struct AlertFiring: Sendable, Codable, Equatable, Hashable {
    public var seconds: Int
    public var alert: String
    public var instance: String
}

/// The outcome of proving a run's alerts with promtool.
public struct AlertVerdict: Sendable {
    /// True when promtool confirmed every strict expectation and nothing unexpected fired.
    public var passed: Bool
    /// What went wrong, one line each (missing, unexpected, wrong instance, promtool errors).
    public var failures: [String]
    /// Every alert promtool saw firing at the check times.
    public var fired: [AlertFiring]
    /// The (alert, instance, time) triples the plan required.
    public var expected: [AlertFiring]
    /// The alert names the rule file defines.
    public var alertNames: [String]
    /// The promtool unit-test file of the final check (kept in the report folder).
    public var testFile: String
    /// What promtool printed on the final check.
    public var promtoolOutput: String
}

/// Why the proof could not run at all.
public enum PromtoolProofError: Error, CustomStringConvertible {
    case promtoolMissing
    case rulesMissing(String)
    case noAlerts(String)
    case promtoolFailed(String)
    /// The cluster kept no metric series to judge (``ClusterOptions/scrapeInterval`` is nil).
    case noMetrics

    public var description: String {
        switch self {
        case .promtoolMissing:
            "promtool not found on PATH or in /usr/bin: install it with Debian's prometheus package (apt-get install prometheus), or put a promtool on PATH"
        case .rulesMissing(let path): "alert rules not found at \(path)"
        case .noAlerts(let path): "no '- alert:' rule found in \(path)"
        case .promtoolFailed(let output): "promtool could not run the test: \(output)"
        case .noMetrics: "the cluster scraped no metrics to judge alerts by: give ClusterOptions a scrapeInterval"
        }
    }
}

/// Exports a run's sampled series in promtool's unit-test format and runs `promtool test rules` against
/// the real alert rules, in two passes.
///
/// promtool compares whole alerts (every label and every rendered annotation), which a scenario cannot
/// know in advance. So the first pass expects nothing anywhere and reads from promtool's answer what
/// actually fired; the plan is judged against that; the second pass writes, for every strict check, the
/// alerts the plan expects (on exactly the expected instances, taking labels and annotations from the
/// first pass) and must pass promtool as it stands.
public struct PromtoolProof {
    public var rulesFile: String
    public var promtool: String
    /// The `job` label every series carries.
    public var job: String
    /// Where the test files go.
    public var directory: String

    public init(rulesFile: String, directory: String, job: String? = nil, promtool: String? = nil) throws(PromtoolProofError) {
        guard FileManager.default.fileExists(atPath: rulesFile) else { throw .rulesMissing(rulesFile) }
        guard let tool = promtool ?? Self.findPromtool() else { throw .promtoolMissing }
        self.rulesFile = URL(fileURLWithPath: rulesFile).standardizedFileURL.path
        self.promtool = tool
        self.directory = directory
        self.job = job ?? Self.jobLabel(in: (try? String(contentsOfFile: rulesFile, encoding: .utf8)) ?? "") ?? "gossip"
    }

    /// promtool on PATH, or Debian's location.
    public static func findPromtool() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(dir)/promtool"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The rule names of an alert rule file, in file order.
    public static func alertNames(in rules: String) -> [String] {
        rules.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingPrefixSpaces()
            guard trimmed.hasPrefix("- alert:") || trimmed.hasPrefix("alert:") else { return nil }
            let name = trimmed.split(separator: ":", maxSplits: 1)[1].trimmingPrefixSpaces().trimmingSuffixSpaces()
            return String(name.filter { $0 != "\"" && $0 != "'" })
        }
    }

    /// The job the rules select on (`job="..."`), when they name exactly one.
    static func jobLabel(in rules: String) -> String? {
        var jobs: Set<String> = []
        var rest = Substring(rules)
        while let range = rest.range(of: "job=\"") {
            let tail = rest[range.upperBound...]
            if let end = tail.firstIndex(of: "\"") { jobs.insert(String(tail[..<end])) }
            rest = tail
        }
        return jobs.count == 1 ? jobs.first : nil
    }

    /// Proves `plan` against the series of `sampler` up to `end` of virtual time.
    public func verify(_ sampler: MetricsSampler, plan: AlertPlan, end: Duration, name: String) throws(PromtoolProofError) -> AlertVerdict {
        let rules = (try? String(contentsOfFile: rulesFile, encoding: .utf8)) ?? ""
        let names = Self.alertNames(in: rules)
        guard !names.isEmpty else { throw .noAlerts(rulesFile) }
        let times = plan.checkTimes(until: end)
        let series = inputSeries(sampler)
        let (firing, fired, firstFile) = try discover(series: series, interval: sampler.interval, names: names, times: times, name: name)

        // Judge the plan, and build pass 2's expectations.
        var failures: [String] = []
        var expected: [AlertFiring] = []
        var finalChecks: [(Int, String, [String])] = []
        for t in times {
            let at = Duration.seconds(t)
            for alert in names {
                let required = plan.required(alert, at: at)
                let tolerated = plan.tolerated(alert, at: at)
                let alerts = firing["\(t)|\(alert)"] ?? []
                let instances = Set(alerts.map { a in a.labels.first { $0.0 == "instance" }?.1 ?? "" })
                for missing in required.subtracting(instances).sorted() {
                    failures.append("\(alert) expected on \(missing) at \(t)s but did not fire")
                }
                if let tolerated {
                    for extra in instances.subtracting(required).subtracting(tolerated).sorted() {
                        failures.append("\(alert) fired on \(extra.isEmpty ? "(no instance)" : extra) at \(t)s, not expected there")
                    }
                }
                for instance in required.sorted() { expected.append(AlertFiring(seconds: t, alert: alert, instance: instance)) }
                guard !plan.isTolerant(alert, at: at) else { continue }
                var entries: [String] = []
                for instance in required.sorted() {
                    if let match = alerts.first(where: { a in (a.labels.first { $0.0 == "instance" }?.1 ?? "") == instance }) {
                        entries.append(Self.expAlert(labels: match.labels, annotations: match.annotations))
                    } else {
                        entries.append(Self.expAlert(labels: [("instance", instance)], annotations: []))
                    }
                }
                finalChecks.append((t, alert, entries))
            }
        }

        // Pass 2: promtool must agree with the plan at every strict check.
        let finalFile = "\(directory)/\(name).promtest.yml"
        let second = try runPromtool(file: finalFile, series: series, interval: sampler.interval, checks: finalChecks)
        if second.status != 0 && failures.isEmpty {
            failures.append("promtool test rules failed on \(finalFile)")
        }
        try? FileManager.default.removeItem(atPath: firstFile)
        return AlertVerdict(
            passed: failures.isEmpty && second.status == 0, failures: failures, fired: fired, expected: expected,
            alertNames: names, testFile: finalFile, promtoolOutput: second.output)
    }

    /// What fires at each of `times` over the series of `sampler`, without judging it against a plan.
    public func firing(_ sampler: MetricsSampler, times: [Int], name: String) throws(PromtoolProofError) -> [AlertFiring] {
        let rules = (try? String(contentsOfFile: rulesFile, encoding: .utf8)) ?? ""
        let names = Self.alertNames(in: rules)
        guard !names.isEmpty else { throw .noAlerts(rulesFile) }
        let (_, fired, file) = try discover(series: inputSeries(sampler), interval: sampler.interval, names: names, times: times, name: name)
        try? FileManager.default.removeItem(atPath: file)
        return fired
    }

    /// Pass 1: expects silence everywhere, and reads from promtool's answer what fired, whole (by check
    /// time and alert) and as firings.
    private func discover(series: String, interval: Duration, names: [String], times: [Int], name: String) throws(PromtoolProofError)
        -> (whole: [String: [(labels: [(String, String)], annotations: [(String, String)])]], fired: [AlertFiring], file: String) {
        var checks: [(Int, String, [String])] = []
        for t in times { for alert in names { checks.append((t, alert, [])) } }
        let file = "\(directory)/\(name)-discover.promtest.yml"
        let first = try runPromtool(file: file, series: series, interval: interval, checks: checks)
        let got = PromtoolOutput.parse(first.output)
        if first.status != 0 && got.isEmpty { throw .promtoolFailed(first.output) }
        var whole: [String: [(labels: [(String, String)], annotations: [(String, String)])]] = [:]
        var fired: [AlertFiring] = []
        for entry in got {
            whole["\(entry.seconds)|\(entry.alert)"] = entry.alerts
            for alert in entry.alerts {
                let instance = alert.labels.first { $0.0 == "instance" }?.1 ?? ""
                fired.append(AlertFiring(seconds: entry.seconds, alert: entry.alert, instance: instance))
            }
        }
        fired.sort { ($0.seconds, $0.alert, $0.instance) < ($1.seconds, $1.alert, $1.instance) }
        return (whole, fired, file)
    }

    private func inputSeries(_ sampler: MetricsSampler) -> String {
        var out = ""
        for id in sampler.seriesIDs {
            guard let values = sampler.series(id.node, id.key) else { continue }
            let name = MetricsSampler.metricName(of: id.key)
            var labels = id.key.count > name.count ? String(id.key.dropFirst(name.count + 1).dropLast()) : ""
            if !labels.isEmpty { labels += "," }
            labels += "instance=\"\(id.node.name)\",job=\"\(job)\""
            let selector = "\(name){\(labels)}".replacingOccurrences(of: "'", with: "''")
            out += "      - series: '\(selector)'\n        values: '\(SeriesNotation.encode(values))'\n"
        }
        return out
    }

    static func expAlert(labels: [(String, String)], annotations: [(String, String)]) -> String {
        var text = "          - exp_labels:\n"
        for (key, value) in labels where key != "alertname" { text += "              \(key): \(yamlQuote(value))\n" }
        if !annotations.isEmpty {
            text += "            exp_annotations:\n"
            for (key, value) in annotations { text += "              \(key): \(yamlQuote(value))\n" }
        }
        return text
    }

    /// A YAML double-quoted scalar: JSON's escapes are valid YAML escapes, so the JSON quoting serves.
    static func yamlQuote(_ value: String) -> String {
        var out = ""
        JSONWriter.appendQuoted(value, to: &out)
        return out
    }

    private func runPromtool(file: String, series: String, interval: Duration, checks: [(Int, String, [String])]) throws(PromtoolProofError) -> (status: Int32, output: String) {
        let seconds = Int(interval.components.seconds)
        var text = "# Generated by the cluster simulator from one run's sampled series; see docs/SIMULATOR.md.\n"
        text += "rule_files:\n  - \(Self.yamlQuote(rulesFile))\nevaluation_interval: \(seconds)s\ntests:\n"
        text += "  - interval: \(seconds)s\n    input_series:\n" + series + "    alert_rule_test:\n"
        for (t, alert, entries) in checks {
            text += "      - eval_time: \(t)s\n        alertname: \(alert)\n"
            text += entries.isEmpty ? "        exp_alerts: []\n" : "        exp_alerts:\n" + entries.joined()
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            throw .promtoolFailed("cannot write \(file): \(error)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["test", "rules", file]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { throw .promtoolFailed("\(promtool): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
