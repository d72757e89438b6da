import Foundation

/// What `gossip-node monitor` prints once everything is up: every process with its PID and the address it
/// really bound, the URLs to open, and the alert story to try.
enum MonitorReport {
    static func ready(_ started: MonitorRun.Started, files: MonitoringFiles, directory: URL) {
        let prometheus = started.prometheus.url
        writeLine("\nNodes (each a gossip-node agent process; Prometheus scrapes each admin address's /metrics):")
        writeLine("  " + "node".padding(9) + "pid".padding(9) + "gossip".padding(18) + "admin")
        for node in started.nodes {
            writeLine("  " + node.name.padding(9) + "\(node.process.pid)".padding(9) + "\(node.gossip)".padding(18) + "\(node.admin)")
        }
        writeLine("\nStatus page   http://\(started.nodes[0].admin)/ui  (members, health, rates, the broadcast tree; any node's /ui)")
        writeLine("Prometheus    \(prometheus)  (pid \(started.prometheus.process.pid))")
        writeLine("              targets \(prometheus)/targets   alerts \(prometheus)/alerts   rules \(prometheus)/rules")
        writeLine("Alertmanager  \(started.alertmanager.url)  (pid \(started.alertmanager.process.pid))")
        writeLine("              alerts \(started.alertmanager.url)/#/alerts")
        writeLine("\nRules: \(files.alertRules.path) and the other rule files of \(files.prometheusConfig.path);")
        writeLine("Alertmanager runs \(files.alertmanagerConfig.path) (its webhooks go to 127.0.0.1:5001: with")
        writeLine("nothing listening there, notifications fail in its log, and the alerts still show in its UI).")
        writeLine("Generated configuration, targets and logs: \(directory.path) (removed on exit).")

        let victim = started.nodes[started.nodes.count - 1]
        let pending = PrometheusConfig.pendingDuration(of: "PlumtreeTargetDown", in: files.alertRules) ?? "its for:"
        writeLine("\nTry:")
        writeLine("  kill \(victim.process.pid)                                  # \(victim.name) crashes, or:")
        writeLine("  gossip-node leave --admin \(victim.admin)   # \(victim.name) leaves gracefully")
        writeLine("  Prometheus' next scrape of \(victim.admin) fails: PlumtreeTargetDown is pending at the next rule")
        writeLine("  evaluation, firing \(pending) later (alerts.yml), then Prometheus sends it to Alertmanager.")
        writeLine("  This terminal prints each change; the other nodes' membership alerts follow later.")
        writeLine("  A recording rule: \(prometheus)/graph?g0.expr=plumtree%3Acluster_health_score&g0.tab=1")
        writeLine("\nRunning until Ctrl-C (or SIGTERM), which stops every process above by its PID.")
    }
}
