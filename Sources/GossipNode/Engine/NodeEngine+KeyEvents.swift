import GossipObservability
import Logging
import MemberlistWire
import Membership

/// Key events the engine reads off the node's state rather than off one output: the configuration a node
/// starts with, and cache evictions, which the Plumtree core counts and the health tick reports.
extension NodeEngine {
    /// Logged once at start, so that a log shows what a node ran with (the later changes, such as tags,
    /// are logged where they happen).
    func logConfiguration() {
        // With the embedder's logger its handler sets the level, not these settings.
        let logging = NodeLoggers.logging(configuration)
        let levels = configuration.logger != nil ? ["the embedder's logger"] : LogComponent.allCases.map { component in
            "\(component.rawValue)=\(logging.level(for: component).rawValue)"
        }
        log(.configurationChanged, [
            "setting": "start", "profile": "\(configuration.profile.rawValue)", "bind": "\(boundAddress)",
            "advertise": "\(configuration.advertise.map(\.description) ?? "bind")",
            // As given: a seed's name is shown as a name, since it is resolved again at every attempt.
            "seeds": "\(configuration.seeds.isEmpty ? "none" : configuration.seeds.map(\.description).joined(separator: ","))",
            "encrypted": "\(!configuration.encryptionKeys.isEmpty)",
            "delivery_mode": "\(configuration.deliveryMode.rawValue)",
            "delivery_buffer_limit": "\(configuration.deliveryBufferLimit)",
            "log_levels": "\(levels.joined(separator: ","))",
        ])
    }

    /// Logs the evictions since the last call: at most one line per health tick (a second), with the count,
    /// so a cache under pressure cannot flood the log. An eviction means a Graft for that message can no
    /// longer be answered here; `plumtree.message_cache_max_size` is the setting to raise.
    func logCacheEvictions(total: UInt64, cacheSize: Int, capacity: Int) {
        guard total > cacheEvictionsSeen else { return }
        let count = total - cacheEvictionsSeen
        cacheEvictionsSeen = total
        log(.cacheEviction, ["evicted": "\(count)", "total": "\(total)", "cache_size": "\(cacheSize)",
                             "capacity": "\(capacity)"])
    }
}

extension NodeEngine {
    /// A packet or stream of another cluster: counted by the core every time, logged here the first time
    /// its label is seen, naming both labels so an operator sees which clusters share addresses.
    func logLabelMismatch(_ refusal: Refusal) {
        let remote = refusal.remoteLabel ?? ""
        switch labelMismatches.decide(remoteLabel: remote) {
        case .silent:
            return
        case .capReached:
            log(.labelMismatch, [
                "detail": "\(LabelMismatchLog.maximumLabels) distinct foreign labels logged; further ones are only counted",
            ])
        case .log:
            log(.labelMismatch, [
                "local_label": "\(LabelPolicy.quoted(Array(configuration.membership.label.utf8)))",
                "remote_label": "\(LabelPolicy.quoted(Array(remote.utf8)))",
                "source": "\(refusal.source.map(\.description) ?? "-")",
                "detail": "\(refusal.detail)",
            ])
        }
    }
}
