import CoreMetrics
import GossipObservability
import GossipRuntime
import Logging
import Membership
import GossipNodeCore
import Plumtree
import ProtocolSupport
import ServiceLifecycle

/// A gossip node: memberlist-compatible membership with Plumtree broadcast on top, instrumented.
///
/// ```swift
/// let node = try GossipNode(configuration: configuration)
/// try await node.start()                       // binds, serves /metrics and /health, joins the seeds
/// let id = try await node.broadcast(Array("hello".utf8))
/// for await message in node.messages { print(message.origin, String(decoding: message.payload, as: UTF8.self)) }
/// try await node.leave()                       // graceful: others see it "left"
/// await node.shutdown()
/// ```
///
/// Every method may be called from any task. The node runs on a libuv event loop of its own; calls hop onto
/// it and back. It is a `Service` of swift-service-lifecycle: in a `ServiceGroup`, `run()` starts it and, on
/// graceful shutdown (SIGTERM), leaves the cluster before returning.
public final class GossipNode: Sendable, Service {
    public let configuration: GossipNodeConfiguration
    /// Messages broadcast by other nodes, each at most once, in delivery order; with
    /// ``DeliveryMode/unbounded`` each exactly once. A gap left by a consumer that fell behind is skipped
    /// here: read ``deliveries`` to see it. One consumer, of this stream or ``deliveries``, not both (they
    /// read the same buffer).
    public var messages: AsyncStream<GossipMessage> { sink.messages }
    /// The messages of ``messages``, with every gap reported where it is: ``Delivery/lagged(missed:)``
    /// says how many of the oldest were dropped before the next message because the consumer was more than
    /// ``GossipNodeConfiguration/deliveryBufferLimit`` behind.
    public var deliveries: AsyncStream<Delivery<GossipMessage>> { sink.deliveries }
    /// Membership changes as this node learns of them, under the same policy as ``messages``; gaps are
    /// skipped here and reported by ``membershipEvents``. One consumer, of this stream or that one.
    public var membershipChanges: AsyncStream<MembershipChange> { sink.changes }
    /// Membership changes, with every gap reported as ``Delivery/lagged(missed:)``.
    public var membershipEvents: AsyncStream<Delivery<MembershipChange>> { sink.changeEvents }
    /// The node's own metrics registry when no factory was configured (what /metrics serves).
    public let metrics: NodeMetrics?

    let loop: EventLoop
    let sink: NodeSink
    let tracing: NodeTracing
    let loggers: NodeLoggers
    /// The protocol component's logger: what the public API logs (start, leave).
    var logger: Logger { loggers.protocol }
    let engineBox: LoopBound<NodeEngine>
    let state = NodeState()
    /// Fired by graceful shutdown (ServiceLifecycle), by a leave through the admin API, or by `shutdown()`:
    /// what `run()` waits for.
    let stoppedSignal = OneShotSignal()
    /// Ticked by the loop every second; /health/live reads it from the admin server's thread.
    var watchdog: LivenessWatchdog { watchdogBox }
    private let watchdogBox: LivenessWatchdog
    let admin = AdminServerHolder()

    /// Creates the node: starts its event loop and binds its membership socket, but sends nothing yet.
    /// - Throws: ``GossipNodeError`` naming what was wrong (address in use, invalid key, tags too large...).
    public init(configuration given: GossipNodeConfiguration) async throws(GossipNodeError) {
        var resolved = given
        if let path = given.keyringFile {
            resolved.encryptionKeys = try KeyringFile.resolve(path: path, keys: given.encryptionKeys)
        }
        let configuration = resolved
        // Refused before anything runs: an admin server off loopback without a token must be asked for.
        if let admin = configuration.admin {
            _ = try AdminAccess.decide(address: admin, token: configuration.adminToken,
                                       allowUnauthenticated: configuration.adminAllowUnauthenticated)
        }
        try TagSize.check(configuration.tags, versions: configuration.plumtree.protocolVersions)
        self.configuration = configuration
        let loggers = NodeLoggers(configuration: configuration)
        self.loggers = loggers
        let nodeMetrics: NodeMetrics? =
            configuration.metricsFactory == nil
            ? NodeMetrics(descriptors: MetricContract.nodeDescriptors) : nil
        self.metrics = nodeMetrics
        let factory: any MetricsFactory = configuration.metricsFactory ?? nodeMetrics!
        let tracing = NodeTracing(configured: configuration.tracer, contextLimit: configuration.plumtree.maxTraceContextSize)
        self.tracing = tracing
        let sink = NodeSink(bufferLimit: configuration.deliveryBufferLimit, mode: configuration.deliveryMode,
                            metrics: factory, tracing: tracing)
        self.sink = sink
        let loop: EventLoop
        do {
            loop = try EventLoop(name: "gossip-\(configuration.name)")
        } catch {
            throw .bindFailed(configuration.bind, reason: "the event loop could not start: \(error)")
        }
        self.loop = loop
        let seed = configuration.seed ?? UInt64.random(in: .min ... .max)
        let result: Result<LoopBound<NodeEngine>, GossipNodeError>
        do {
            result = try await loop.submit { [loggers] in
                do throws(GossipNodeError) {
                    let engine = try NodeEngine(loop: loop, configuration: configuration, metrics: factory,
                                                nodeMetrics: nodeMetrics, loggers: loggers, seed: seed, sink: sink)
                    return .success(LoopBound(engine, loop: loop))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            await loop.shutdown()
            throw .stopped
        }
        switch result {
        case .success(let engine):
            self.engineBox = engine
            self.watchdogBox = try await Self.watchdog(of: engine, on: loop)
        case .failure(let error):
            await loop.shutdown()
            throw error
        }
    }

    /// Runs `body` with the engine on the loop thread.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (NodeEngine) throws(GossipNodeError) -> T) async throws(GossipNodeError) -> T {
        let engine = self.engineBox
        let result: Result<T, GossipNodeError>
        do {
            result = try await loop.submit {
                do throws(GossipNodeError) { return .success(try body(engine.value)) } catch { return .failure(error) }
            }
        } catch {
            throw .stopped
        }
        return try result.get()
    }

    private static func watchdog(of engine: LoopBound<NodeEngine>, on loop: EventLoop) async throws(GossipNodeError) -> LivenessWatchdog {
        do {
            return try await loop.submit { engine.value.watchdog }
        } catch {
            throw .stopped
        }
    }

    /// The address membership listens on (UDP and TCP), with the OS-chosen port when bound to port 0.
    public var boundAddress: SocketAddress {
        get async throws(GossipNodeError) { try await onLoop { $0.boundAddress } }
    }
}
