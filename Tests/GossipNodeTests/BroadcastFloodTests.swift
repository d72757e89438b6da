import GossipNode
import GossipRuntime
import ProtocolSupport
import Synchronization
import Testing

/// A flood of large broadcasts between two real nodes: what the node accepts arrives (or its loss is
/// counted), what it cannot send is refused at the call (429 at the admin route), and the message cache
/// stays within its byte budget however much is broadcast.
@Suite("A flood of large broadcasts between two nodes")
struct BroadcastFloodTests {
    /// What the flood's callers saw.
    final class Outcomes: Sendable {
        private let state = Mutex<(accepted: Set<String>, refusedByAPI: Int, refusedByHTTP: Int, other: [String])>(([], 0, 0, []))
        func accepted(_ id: String) { state.withLock { _ = $0.accepted.insert(id) } }
        func refused(http: Bool) { state.withLock { if http { $0.refusedByHTTP += 1 } else { $0.refusedByAPI += 1 } } }
        func other(_ what: String) { state.withLock { $0.other.append(what) } }
        var all: (accepted: Set<String>, refusedByAPI: Int, refusedByHTTP: Int, other: [String]) { state.withLock { $0 } }
    }

    final class Received: Sendable {
        private let ids = Mutex<Set<String>>([])
        private let wrongSizes = Mutex(0)
        func record(_ message: GossipMessage, expectedSize: Int) {
            ids.withLock { _ = $0.insert(message.id) }
            if message.payload.count != expectedSize { wrongSizes.withLock { $0 += 1 } }
        }
        var all: Set<String> { ids.withLock { $0 } }
        var malformed: Int { wrongSizes.withLock { $0 } }
    }

    /// Bytes LZW cannot shrink (memberlist compresses streams), so that 60 KiB on the API is 60 KiB on the wire.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static func value(_ node: GossipNode, _ name: String, _ labels: [String: String] = [:]) -> Double {
        node.metrics?.snapshot().value(name, labels) ?? 0
    }

    @Test func everyAcceptedBroadcastArrivesOrIsCountedAndTheCacheStaysInItsBudget() async throws {
        let budget = 1 << 20
        let size = 60 << 10
        let nodes = try await LiveHealthTests.pair("flood") { configuration in
            configuration.plumtree.messageCacheMaxBytes = budget
            configuration.plumtree.maxOutboundStreams = 8
        }
        let (origin, receiver) = (nodes[0], nodes[1])
        let admin = try #require(origin.adminAddress)
        let received = Received()
        let consumer = Task {
            for await message in receiver.messages { received.record(message, expectedSize: size) }
        }
        let outcomes = Outcomes()
        // One block, made once (a debug build takes seconds to make a fresh one per broadcast).
        let noise = Self.noise(size, seed: 20)
        let cacheWatch = Mutex((peak: 0, rssPeak: residentBytes()))
        let flooding = Mutex(true)
        // The caches' bytes, sampled through the flood: they must never pass the budget, not only at the end.
        let watcher = Task {
            while flooding.withLock({ $0 }) {
                let peak = max((try? await origin.plumtreeSnapshot().cacheBytes) ?? 0, (try? await receiver.plumtreeSnapshot().cacheBytes) ?? 0)
                let rss = residentBytes()
                cacheWatch.withLock { $0 = (max($0.peak, peak), max($0.rssPeak, rss)) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // 48 callers on the Swift API and 16 on the admin route, 1,280 broadcasts of 60 KiB in all: 75 MB,
        // 72 times the cache's budget, offered far faster than two loops on a shared machine move it.
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    let http = worker < 16
                    let client = AdminClient(address: admin, timeout: .seconds(10))
                    for round in 0..<20 {
                        var payload = noise
                        payload[0] = UInt8(worker)
                        payload[1] = UInt8(round)
                        // A refused broadcast is retried after 10 ms, up to 10 times, as a client honouring
                        // the refusal would; each refusal is counted on its own.
                        attempts: for _ in 0..<10 {
                            if http {
                                do {
                                    let response = try await client.post("/v1/broadcast", body: payload)
                                    switch response.status {
                                    case 200:
                                        if let id = try? AdminJSON.string(response.body, key: "id") { outcomes.accepted(id) } else { outcomes.other("200 without id") }
                                        break attempts
                                    case 429: outcomes.refused(http: true)
                                    default:
                                        outcomes.other("HTTP \(response.status): \(response.text)")
                                        break attempts
                                    }
                                } catch {
                                    outcomes.other("admin client: \(error)")
                                    break attempts
                                }
                            } else {
                                do throws(GossipNodeError) {
                                    outcomes.accepted(try await origin.broadcast(payload))
                                    break attempts
                                } catch {
                                    if case .sendBacklogFull = error { outcomes.refused(http: false) } else {
                                        outcomes.other("\(error)")
                                        break attempts
                                    }
                                }
                            }
                            try? await Task.sleep(for: .milliseconds(10))
                        }
                    }
                }
            }
        }
        let floodTime = ContinuousClock.now - start
        let result = outcomes.all
        #expect(result.other.isEmpty, "unexpected outcomes: \(result.other.prefix(5))")
        #expect(result.accepted.count <= 1_280)
        #expect(result.accepted.count * size > budget, "enough was accepted to fill the cache")
        #expect(result.refusedByAPI + result.refusedByHTTP > 0, "the stream backlog limit refused some of the flood")
        #expect(!result.accepted.isEmpty)

        // Every accepted message reaches the receiver, or its failed send is counted; nothing else.
        func failedSends() -> Int {
            ["member_gone", "stream_refused", "stream_timed_out", "stream_closed"].reduce(0) {
                $0 + Int(Self.value(origin, "plumtree_sends_failed_total", ["reason": $1]))
            }
        }
        let settled = await LiveHealthTests.waitUntil(timeout: .seconds(60)) {
            received.all.count + failedSends() >= result.accepted.count
        }
        flooding.withLock { $0 = false }
        _ = await watcher.value
        let delivered = received.all
        #expect(settled, "\(delivered.count) delivered + \(failedSends()) counted failed of \(result.accepted.count) accepted")
        #expect(delivered.isSubset(of: result.accepted), "only accepted broadcasts arrive")
        #expect(delivered.count + failedSends() == result.accepted.count)
        #expect(received.malformed == 0)
        #expect(Self.value(origin, "plumtree_broadcasts_refused_total", ["reason": "outbound_backlog"])
            == Double(result.refusedByAPI + result.refusedByHTTP), "every refusal is counted")
        #expect(Self.value(origin, "plumtree_messages_broadcast_total") == Double(result.accepted.count))

        // Memory: each cache within its budget, during the flood and after; the budget did evict.
        let watched = cacheWatch.withLock { $0 }
        #expect(watched.peak <= budget)
        for node in nodes {
            #expect(Self.value(node, "plumtree_cache_bytes") <= Double(budget))
            #expect(Self.value(node, "plumtree_cache_max_bytes") == Double(budget))
            #expect(Self.value(node, "plumtree_cache_evictions_total", ["reason": "bytes"]) > 0)
        }
        #expect(Self.value(origin, "plumtree_outbound_streams") == 0, "no stream is left in the ledger")
        print("broadcast flood: \(result.accepted.count) accepted, \(result.refusedByAPI) refused by the API, "
              + "\(result.refusedByHTTP) answered 429, \(delivered.count) delivered, \(failedSends()) counted failed; "
              + "offered in \(floodTime); cache peak \(watched.peak) bytes of \(budget); process RSS peak \(watched.rssPeak >> 20) MiB")
        consumer.cancel()
        for node in nodes { await node.shutdown() }
    }

    @Test func aBacklogRefusalIsA429AndAPayloadOverTheCacheBudgetA413() {
        #expect(GossipNodeError.sendBacklogFull(bytes: 1, streams: 1).broadcastStatus == .tooManyRequests)
        #expect(GossipNodeError.messageOverCacheBudget(size: 2, limit: 1).broadcastStatus == .payloadTooLarge)
        #expect(GossipNodeError.messageTooLarge(size: 2, limit: 1).broadcastStatus == .payloadTooLarge)
        #expect(GossipNodeError.stopped.broadcastStatus == .serviceUnavailable)
        #expect(GossipNodeError.sendBacklogFull(bytes: 10, streams: 2).description.contains("plumtree.max_outbound_streams"))
    }
}
