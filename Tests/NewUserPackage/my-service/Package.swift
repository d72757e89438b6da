// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "my-service",
    platforms: [.macOS(.v15)],
    dependencies: [
        // A clone of this repository beside your package, in a folder named swift-plumtree-gossip: a path
        // dependency's identity is its folder's name, and the products below are looked up under it.
        .package(path: "../swift-plumtree-gossip"),
    ],
    targets: [
        .target(
            name: "MyService",
            dependencies: [.product(name: "GossipNode", package: "swift-plumtree-gossip")],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .testTarget(
            name: "MyServiceTests",
            dependencies: ["MyService", .product(name: "GossipSimulator", package: "swift-plumtree-gossip")],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
    ]
)
