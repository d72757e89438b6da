// swift-tools-version:6.1
// A Plumtree gossip node with built-in observability: memberlist-compatible membership, Plumtree broadcast,
// a libuv runtime, a cluster simulator. The layers and their dependency direction: docs/ARCHITECTURE.md.
import PackageDescription

let metrics: Target.Dependency = .product(name: "CoreMetrics", package: "swift-metrics")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let tracing: Target.Dependency = .product(name: "Tracing", package: "swift-distributed-tracing")
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")

let package = Package(
    name: "swift-plumtree-gossip",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GossipNode", targets: ["GossipNode"]),
        .library(name: "GossipSimulator", targets: ["GossipSimulator"]),
        .executable(name: "gossip-node", targets: ["gossip-node"]),
        .executable(name: "plumtree-sim", targets: ["plumtree-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // System libraries from Debian; nothing of them is vendored.
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Time and seeded randomness handed to the protocol cores.
        .target(name: "ProtocolSupport"),
        // memberlist's wire: msgpack subset, messages, compound, CRC, LZW, AES-GCM keyring, stream framing.
        .target(name: "MemberlistWire", dependencies: ["COpenSSL"]),
        // SWIM + Lifeguard + push/pull as a state machine without I/O.
        .target(name: "Membership", dependencies: ["ProtocolSupport", "MemberlistWire", metrics]),
        // Plumtree (eager/lazy push, IHave/Graft/Prune, optimization), its overlay and anti-entropy, without I/O.
        .target(name: "Plumtree", dependencies: ["ProtocolSupport", metrics]),
        // One gossip node without I/O: both cores and everything between them (member events, routing,
        // reconnect). The libuv driver and the simulator both run it.
        .target(name: "GossipNodeCore", dependencies: ["ProtocolSupport", "MemberlistWire", "Membership", "Plumtree", metrics]),
        // Metric catalogue, per-node Prometheus registry, health model, logging setup.
        .target(name: "GossipObservability", dependencies: ["Plumtree", "Membership", "GossipNodeCore", metrics, prometheus, logging]),
        // The libuv driver: event loop thread, UDP, TCP, timers, the admin HTTP server.
        .target(name: "GossipRuntime", dependencies: ["ProtocolSupport", "CLibUV", "CHTTPParser", logging]),
        // The public node type services embed: drives the cores on the runtime.
        .target(
            name: "GossipNode",
            dependencies: [
                "ProtocolSupport", "MemberlistWire", "Membership", "Plumtree", "GossipNodeCore", "GossipObservability",
                "GossipRuntime", metrics, prometheus, logging, serviceLifecycle, tracing, yams,
            ]
        ),
        // The runtime for one thing: reading back the ports `gossip-node monitor`'s children bound (/proc).
        .executableTarget(name: "gossip-node", dependencies: ["GossipNode", "GossipObservability", "GossipRuntime", argumentParser, yams, logging]),

        // The cluster simulator: the same cores in virtual time.
        .target(
            name: "GossipSimulator",
            dependencies: ["ProtocolSupport", "MemberlistWire", "Membership", "Plumtree", "GossipNodeCore", "GossipObservability", metrics, prometheus],
            path: "Simulations/GossipSimulator",
            // The alert rules operators deploy (monitoring/prometheus/alerts.yml links here), so that a user's
            // simulated cluster is judged by them wherever the user's tests run.
            resources: [.copy("Resources/alerts.yml")]
        ),
        .executableTarget(
            name: "plumtree-sim",
            dependencies: ["GossipSimulator", argumentParser],
            path: "Simulations/plumtree-sim"
        ),

        // Examples that embed the package.
        .executableTarget(name: "gossip-chat", dependencies: ["GossipNode", "ProtocolSupport", argumentParser], path: "Examples/Chat"),
        .executableTarget(
            name: "config-propagation",
            dependencies: ["GossipNode", "ProtocolSupport", argumentParser, serviceLifecycle, logging],
            path: "Examples/ConfigPropagation"
        ),

        // Benchmarks (make bench), release builds only.
        .executableTarget(
            name: "gossip-bench",
            dependencies: ["ProtocolSupport", "MemberlistWire", "Membership", "Plumtree", "GossipObservability", "GossipRuntime", metrics, prometheus],
            path: "Tests/Benchmarks/gossip-bench"
        ),

        // Real processes for the interop and process tests: ports, logs kept on failure, serf agents.
        .target(name: "GossipTestSupport", dependencies: ["GossipRuntime", "ProtocolSupport"], path: "Tests/GossipTestSupport"),
        .target(name: "MetricsTestSupport", dependencies: [metrics], path: "Tests/MetricsTestSupport"),

        // One test target per layer, plus interop, process and simulation tests.
        .testTarget(name: "ProtocolSupportTests", dependencies: ["ProtocolSupport"]),
        .testTarget(name: "MemberlistWireTests", dependencies: ["MemberlistWire"]),
        .testTarget(name: "MembershipTests", dependencies: ["Membership", "MemberlistWire", "ProtocolSupport", metrics, "MetricsTestSupport", "GossipSimulator"]),
        .testTarget(name: "PlumtreeTests", dependencies: ["Plumtree", "ProtocolSupport", metrics, "MetricsTestSupport", "GossipSimulator"]),
        .testTarget(name: "GossipNodeCoreTests", dependencies: ["GossipNodeCore", "Membership", "Plumtree", "ProtocolSupport", metrics, "MetricsTestSupport"]),
        .testTarget(name: "GossipObservabilityTests", dependencies: ["GossipObservability", "GossipNodeCore", "GossipRuntime", metrics, prometheus, "GossipNode", "GossipTestSupport"]),
        .testTarget(name: "GossipRuntimeTests", dependencies: ["GossipRuntime", "ProtocolSupport", "CLibUV", "GossipTestSupport"]),
        .testTarget(name: "GossipNodeTests", dependencies: ["GossipNode", "GossipRuntime", "GossipObservability", "MemberlistWire", "GossipTestSupport", serviceLifecycle, logging]),
        .testTarget(name: "InteropTests", dependencies: ["GossipNode", "MemberlistWire", "GossipTestSupport"]),
        .testTarget(name: "ProcessTests", dependencies: ["GossipTestSupport", "GossipNode", "ProtocolSupport"]),
        .testTarget(name: "SimulationTests", dependencies: ["GossipSimulator"]),
        // docs/SIMULATOR.md's example as a user compiles it: one import, MemberImportVisibility on.
        .testTarget(
            name: "SimulatorExampleTests", dependencies: ["GossipSimulator"],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
    ]
)
