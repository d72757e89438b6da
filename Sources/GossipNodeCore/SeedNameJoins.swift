import Membership
import ProtocolSupport

/// Why the driver could not resolve a seed's name: a reason to count and act on, and the resolver's words.
package struct SeedResolutionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The label of `gossip_node_seed_resolution_failures_total{reason}`.
    package enum Reason: String, Sendable, CaseIterable {
        /// The name does not exist (EAI_NONAME, EAI_NODATA): a typo, or a record not published yet.
        case notFound = "not_found"
        /// The resolver could not answer now (EAI_AGAIN): the DNS server is down or slow.
        case temporaryFailure = "temporary_failure"
        /// The name exists but gave no IPv4 or IPv6 address.
        case noAddress = "no_address"
        /// Anything else the resolver reported (out of memory, a system error, a bad configuration).
        case failed
    }

    package var reason: Reason
    /// What the resolver said, as gai_strerror words it ("Name or service not known").
    package var detail: String

    package init(reason: Reason, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    package var description: String { detail }
}

/// Joins through seeds given by name, from the request to resolve the name, through the push/pulls with
/// every address it gave, to one outcome per name: merged when any address merged, else the most telling
/// failure. A name already being resolved or joined is not asked for again: a second join, or a retry,
/// waits for the same outcome.
///
/// Lookups only, never iteration, so no hash order reaches the node's behaviour.
struct SeedNameJoins {
    struct Pending: Equatable {
        /// The application asked for this join and waits for its ``NodeOutput/joinCompleted(seed:failure:)``.
        var forApplication: Bool
        /// The reconnect schedule's attempt waits for it.
        var forRetry: Bool
        /// Push/pulls not answered yet; nil while the name is being resolved.
        var remaining: Int?
        var merged = false
        var failure: JoinFailure?

        /// Merged when any address merged, unless one said this node's name is taken: that one must reach
        /// the application, which shuts the node down.
        var outcome: JoinFailure? {
            if let failure, failure.isNameInUse { return failure }
            return merged ? nil : failure
        }
    }

    private(set) var pending: [Seed: Pending] = [:]
    /// Addresses being joined on a name's behalf, each with the names waiting for its push/pull, oldest first.
    private var waiting: [SocketAddress: [Seed]] = [:]

    /// A join or retry of `seed` wants its outcome. True when the driver must be asked to resolve it (no
    /// lookup or push/pull for it is under way).
    mutating func request(_ seed: Seed, forApplication: Bool) -> Bool {
        if var current = pending[seed] {
            if forApplication { current.forApplication = true } else { current.forRetry = true }
            pending[seed] = current
            return false
        }
        pending[seed] = Pending(forApplication: forApplication, forRetry: !forApplication, remaining: nil)
        return true
    }

    /// The driver's addresses for `seed`: the ones to push/pull with, or nil when nothing waited for this
    /// answer (a second answer to one request).
    mutating func resolved(_ seed: Seed, addresses: [SocketAddress]) -> [SocketAddress]? {
        guard var current = pending[seed], current.remaining == nil, !addresses.isEmpty else { return nil }
        current.remaining = addresses.count
        pending[seed] = current
        for address in addresses { waiting[address, default: []].append(seed) }
        return addresses
    }

    /// The name did not resolve, or nothing to join came back: the join is over. Nil when nothing waited.
    mutating func resolutionFailed(_ seed: Seed) -> Pending? {
        guard let current = pending[seed], current.remaining == nil else { return nil }
        pending[seed] = nil
        return current
    }

    enum Step: Equatable {
        /// No name waited for this push/pull: it is someone else's.
        case notOurs
        /// Counted; the name still waits for other addresses.
        case counted
        /// The last address answered: the name's join is over.
        case finished(Seed, Pending)
    }

    /// The push/pull with `address` ended.
    mutating func pushPullEnded(_ address: SocketAddress, failure: JoinFailure?) -> Step {
        guard var names = waiting[address], !names.isEmpty else { return .notOurs }
        let seed = names.removeFirst()
        waiting[address] = names.isEmpty ? nil : names
        guard var current = pending[seed], let remaining = current.remaining else { return .counted }
        if let failure {
            // A name taken is what the application must hear of, whichever address said it.
            if current.failure == nil || failure.isNameInUse { current.failure = failure }
        } else {
            current.merged = true
        }
        current.remaining = remaining - 1
        guard remaining == 1 else {
            pending[seed] = current
            return .counted
        }
        pending[seed] = nil
        return .finished(seed, current)
    }

    var isEmpty: Bool { pending.isEmpty && waiting.isEmpty }
}

extension JoinFailure {
    var isNameInUse: Bool {
        if case .nameInUse = self { true } else { false }
    }
}
