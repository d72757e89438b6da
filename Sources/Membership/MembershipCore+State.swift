import MemberlistWire
import ProtocolSupport

/// Incarnation-ordered state changes (memberlist state.go `aliveNode`, `suspectNode`, `deadNode`,
/// `refute`): a fact about a member is applied only when it is newer, re-gossiped when it changed something,
/// and a node accused of being suspect or dead refutes with a higher incarnation.
extension MembershipCore {
    /// Queues a fact about `node` for piggybacking, replacing any older fact about it.
    mutating func broadcast(_ message: [UInt8], about node: String) {
        broadcasts.enqueue(message, key: .member(node))
    }

    /// Whether an alive's versions let us talk with the member; nil when they do, else why not.
    func incompatibility(of vsn: Vsn) -> String? {
        guard vsn.hasValidProtocolRange else {
            return "protocol range \(vsn.protocolMin)...\(vsn.protocolMax) is empty or zero"
        }
        let ours = local.versions
        if vsn.protocolCurrent < ours.protocolMin || vsn.protocolCurrent > ours.protocolMax
            || ours.protocolCurrent < vsn.protocolMin || ours.protocolCurrent > vsn.protocolMax {
            return "protocol \(vsn.protocolMin)...\(vsn.protocolMax) speaking \(vsn.protocolCurrent) cannot talk with ours \(ours.protocolMin)...\(ours.protocolMax) speaking \(ours.protocolCurrent)"
        }
        if vsn.delegateMin != 0,
            vsn.delegateCurrent < ours.delegateMin || vsn.delegateCurrent > ours.delegateMax
                || ours.delegateCurrent < vsn.delegateMin || ours.delegateCurrent > vsn.delegateMax {
            return "delegate protocol \(vsn.delegateMin)...\(vsn.delegateMax) speaking \(vsn.delegateCurrent) cannot talk with ours \(ours.delegateMin)...\(ours.delegateMax) speaking \(ours.delegateCurrent)"
        }
        return nil
    }

    /// An alive message (memberlist `aliveNode`). `source` is where it came from, for refusals.
    mutating func aliveNode(_ alive: Alive, source: SocketAddress?, bootstrap: Bool, now: Instant,
                            into out: inout [MembershipOutput]) {
        let isLocal = alive.node == local.name
        if hasLeft && isLocal { return }
        if alive.node.isEmpty {
            refuse(.malformed, from: source, "alive without a node name", into: &out)
            return
        }
        if let problem = incompatibility(of: alive.vsn) {
            refuse(.incompatibleVersion, from: source, "alive for '\(alive.node)': \(problem)", into: &out)
            return
        }
        guard let address = SocketAddress(ip: alive.addr, port: alive.port) else {
            refuse(.malformed, from: source, "alive for '\(alive.node)' with a \(alive.addr.count)-byte address", into: &out)
            return
        }
        guard alive.meta.count <= MembershipConfig.metaMaxSize else {
            refuse(.tooLarge, from: source, "alive for '\(alive.node)' with \(alive.meta.count) bytes of meta", into: &out)
            return
        }
        var updatesAddress = false
        if let known = table[alive.node], known.address != address {
            let reclaimable = known.state == .dead && config.deadNodeReclaimTime.map {
                now.duration(since: known.stateChange) > $0
            } == true
            guard known.state == .left || reclaimable else {
                refuse(.addressConflict, from: source,
                       "'\(alive.node)' announced at \(address), known alive at \(known.address) (\(known.state))",
                       into: &out)
                return
            }
            updatesAddress = true
        }
        let known = table[alive.node]
        let currentIncarnation = known?.incarnation ?? 0
        if known != nil, alive.incarnation <= currentIncarnation, !isLocal, !updatesAddress { return }
        if known == nil, alive.incarnation == 0 { return }
        if isLocal, alive.incarnation < currentIncarnation { return }

        suspicions[alive.node] = nil
        if !bootstrap && isLocal {
            // Someone gossips an alive about us that is not ours: announce ours, newer.
            if alive.incarnation == incarnation, alive.meta == local.meta, alive.vsn == local.versions { return }
            refute(accusedIncarnation: alive.incarnation, now: now, into: &out)
            return
        }
        broadcast(alive.encoded(), about: alive.node)
        let oldState = known?.state ?? .dead
        let oldMeta = known?.meta
        if known == nil {
            table.insert(
                Member(name: alive.node, address: address, meta: alive.meta, incarnation: alive.incarnation,
                       state: .alive, stateChange: now, versions: alive.vsn),
                random: &random)
        } else {
            table.update(alive.node) { member in
                member.incarnation = alive.incarnation
                member.meta = alive.meta
                member.address = address
                member.versions = alive.vsn
                if member.state != .alive {
                    member.state = .alive
                    member.stateChange = now
                }
            }
        }
        metrics.setMembers(table.counts)
        guard let member = table[alive.node] else { return }
        if oldState.isDeadOrLeft {
            out.append(.event(.joined(member)))
        } else {
            if oldState == .suspect { out.append(.event(.recovered(member))) }
            if oldMeta != member.meta { out.append(.event(.updated(member))) }
        }
    }

    /// A suspect message (memberlist `suspectNode`).
    mutating func suspectNode(_ suspect: Suspect, now: Instant, into out: inout [MembershipOutput]) {
        guard let member = table[suspect.node], suspect.incarnation >= member.incarnation else { return }
        if suspicions[suspect.node] != nil {
            if suspicions[suspect.node]?.confirm(from: suspect.from) == true {
                broadcast(suspect.encoded(), about: suspect.node)
            }
            return
        }
        guard member.state == .alive else { return }
        if member.name == local.name {
            refute(accusedIncarnation: suspect.incarnation, now: now, into: &out)
            return
        }
        broadcast(suspect.encoded(), about: suspect.node)
        table.update(suspect.node) { member in
            member.incarnation = suspect.incarnation
            member.state = .suspect
            member.stateChange = now
        }
        metrics.setMembers(table.counts)

        let n = table.count
        var expected = config.suspicionMult - 2
        if n - 2 < expected { expected = 0 }
        let minimum = MembershipMath.suspicionTimeout(
            suspicionMult: config.suspicionMult, members: n, probeInterval: config.probeInterval)
        let maximum = minimum * config.suspicionMaxTimeoutMult
        suspicions[suspect.node] = Suspicion(
            from: suspect.from, expected: expected, minimum: minimum, maximum: maximum, now: now)
        if let suspected = table[suspect.node] { out.append(.event(.suspect(suspected))) }
    }

    /// A dead message (memberlist `deadNode`); `From == Node` is a graceful leave.
    mutating func deadNode(_ dead: Dead, now: Instant, into out: inout [MembershipOutput]) {
        guard let member = table[dead.node], dead.incarnation >= member.incarnation else { return }
        suspicions[dead.node] = nil
        if member.state.isDeadOrLeft { return }
        if member.name == local.name && !hasLeft {
            refute(accusedIncarnation: dead.incarnation, now: now, into: &out)
            return
        }
        broadcast(dead.encoded(), about: dead.node)
        table.update(dead.node) { member in
            member.incarnation = dead.incarnation
            member.state = dead.isLeave ? .left : .dead
            member.stateChange = now
        }
        metrics.setMembers(table.counts)
        guard let updated = table[dead.node] else { return }
        out.append(.event(dead.isLeave ? .left(updated) : .failed(updated)))
    }

    /// Announces ourselves alive with an incarnation above the accusation (memberlist `refute`); Lifeguard
    /// counts a refutation as a sign that we may be the slow one.
    mutating func refute(accusedIncarnation: UInt32, now: Instant, into out: inout [MembershipOutput]) {
        incarnation &+= 1
        if accusedIncarnation >= incarnation { incarnation = accusedIncarnation &+ 1 }
        table.update(local.name) { $0.incarnation = incarnation }
        applyAwareness(1)
        broadcast(localAlive().encoded(), about: local.name)
    }

    /// Our own alive message at the current incarnation.
    func localAlive() -> Alive {
        Alive(incarnation: incarnation, node: local.name, addr: local.address.ip, port: local.address.port,
              meta: local.meta, vsn: local.versions)
    }
}
