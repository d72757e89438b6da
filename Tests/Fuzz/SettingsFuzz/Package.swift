// swift-tools-version:6.1
// The libFuzzer target over the node's settings parsers (YAML file, GOSSIP_* environment, flags), built
// by Tests/Fuzz/build.sh settings with `swift build --sanitize=fuzzer --sanitize=address`, so that Yams
// and every module the loader uses are instrumented too. A package of its own: the main package's
// `swift build` must not try to link an executable whose main is libFuzzer's.
import Foundation
import PackageDescription

// A path dependency is known by its directory's name, whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized

let package = Package(
    name: "settings-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: root.path)],
    targets: [
        .executableTarget(
            name: "settings-fuzz",
            dependencies: [.product(name: "GossipNode", package: root.lastPathComponent.lowercased())],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
