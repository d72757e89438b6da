// Deterministic test data without a global random source.
@testable import MemberlistWire

/// A small linear congruential generator: the same bytes on every run.
struct TestBytes {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }

    /// `count` bytes drawn from an alphabet of `alphabet` symbols (small alphabets compress well).
    mutating func bytes(_ count: Int, alphabet: Int = 256) -> [UInt8] {
        (0..<count).map { _ in UInt8(Int(next()) % alphabet) }
    }
}

enum Keys {
    static let k16 = [UInt8](repeating: 0x11, count: 16)
    static let k24 = [UInt8](repeating: 0x22, count: 24)
    static let k32 = [UInt8](repeating: 0x33, count: 32)
    static let other32 = [UInt8](repeating: 0x44, count: 32)
    static let nonce: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
}

/// A node state for push/pull tests.
func sampleNode(_ i: Int) -> PushNodeState {
    PushNodeState(
        name: "node-\(i)", addr: [10, 0, UInt8(i / 256), UInt8(i % 256)], port: 7946, meta: [0xFF, 0x80],
        incarnation: UInt32(i), state: PushNodeState.State(rawValue: UInt8(i % 4)) ?? .alive, vsn: .serfAgent)
}
