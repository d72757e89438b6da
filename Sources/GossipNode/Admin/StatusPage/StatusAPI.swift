#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GossipObservability
import Plumtree

/// The JSON documents the status page (`GET /ui`) reads: `GET /v1/status` and `GET /v1/tree`.
public enum StatusAPI {
    public struct Reason: Codable, Sendable, Equatable {
        public var code: String
        public var severity: String
        public var message: String
    }

    public struct Health: Codable, Sendable, Equatable {
        public var status: String
        public var reasons: [Reason]
    }

    /// Cumulative counts; the page turns two readings into rates.
    public struct Counters: Codable, Sendable, Equatable {
        public var delivered: UInt64
        public var duplicates: UInt64
        public var graftsSent: UInt64
        public var graftFailures: UInt64
    }

    /// `GET /v1/status`: this node, its health, its members and its overlay neighbours.
    public struct Status: Codable, Sendable, Equatable {
        public var name: String
        public var address: String
        public var health: Health
        public var members: [AdminAPI.Member]
        public var eager: [String]
        public var lazy: [String]
        public var counters: Counters
    }

    public struct Neighbours: Codable, Sendable, Equatable {
        public var eager: [String]
        public var lazy: [String]
    }

    /// `GET /v1/tree`: every member's neighbours as it reported them (``GossipNode/broadcastTree(timeout:)``).
    public struct Tree: Codable, Sendable, Equatable {
        public var root: String
        public var members: [String: Neighbours]
        public var unanswered: [String]
        public var notAsked: [String]

        public init(_ view: BroadcastTreeView) {
            root = view.root
            members = view.members.mapValues { Neighbours(eager: $0.eager, lazy: $0.lazy) }
            unanswered = view.unanswered
            notAsked = view.notAsked
        }
    }

    static func status(name: String, address: String, health: HealthReport, members: [MemberInfo],
                       plumtree: PlumtreeSnapshot) -> Status {
        Status(
            name: name, address: address,
            health: Health(status: health.status.rawValue, reasons: health.reasons.map {
                Reason(code: $0.code.rawValue, severity: $0.severity.rawValue, message: $0.message)
            }),
            members: members.map {
                AdminAPI.Member(name: $0.name, address: $0.address.description, state: $0.state.rawValue,
                                incarnation: $0.incarnation, tags: $0.tags)
            },
            eager: plumtree.eagerPeers.sorted(), lazy: plumtree.lazyPeers.sorted(),
            counters: Counters(delivered: plumtree.delivered, duplicates: plumtree.duplicates,
                               graftsSent: plumtree.graftsSent, graftFailures: plumtree.graftFailures))
    }
}
