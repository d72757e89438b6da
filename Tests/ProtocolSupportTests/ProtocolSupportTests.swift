import Testing
@testable import ProtocolSupport

@Suite struct SeededRandomTests {
    @Test func sameSeedSameSequence() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
    }

    @Test func differentSeedsDiverge() {
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 2)
        let same = (0..<100).filter { _ in a.next() == b.next() }.count
        #expect(same == 0)
    }

    @Test func splitStreamsAreIndependentOfParentDraws() {
        var parent = SeededRandom(seed: 7)
        var child = parent.split()
        var replay = SeededRandom(seed: 7)
        var childReplay = replay.split()
        _ = parent.next()
        #expect(child.next() == childReplay.next())
    }

    @Test func rangeDrawsCoverTheRange() {
        var rng = SeededRandom(seed: 3)
        var seen = Set<Int>()
        for _ in 0..<1000 { seen.insert(Int.random(in: 0..<10, using: &rng)) }
        #expect(seen.count == 10)
    }
}

@Suite struct InstantTests {
    @Test func arithmeticSaturates() {
        let t = Instant(nanoseconds: 5)
        #expect(t.advanced(by: .nanoseconds(-10)) == .zero)
        #expect(Instant(nanoseconds: .max - 1).advanced(by: .seconds(1)).nanoseconds == .max)
        #expect(t.advanced(by: .milliseconds(1)).nanoseconds == 1_000_005)
        #expect(Instant(nanoseconds: 10).duration(since: Instant(nanoseconds: 20)) == .zero)
        #expect(Instant(nanoseconds: 3_000_000_000).duration(since: .zero) == .seconds(3))
    }

    @Test func durationConversions() {
        #expect(Duration.milliseconds(1500).nanosecondsClamped == 1_500_000_000)
        #expect(Duration.seconds(2).scaled(by: 1.5) == .seconds(3))
        #expect(abs(Duration.milliseconds(250).seconds - 0.25) < 1e-12)
    }
}

@Suite struct SocketAddressTests {
    @Test func parsesIPv4AndIPv6() throws {
        let v4 = try SocketAddress(parsing: "127.0.0.1:7946")
        #expect(v4.ip == [127, 0, 0, 1] && v4.port == 7946 && v4.isLoopback)
        #expect(v4.description == "127.0.0.1:7946")
        let v6 = try SocketAddress(parsing: "[::1]:80")
        #expect(v6.ip == Array(repeating: 0, count: 15) + [1] && v6.isLoopback)
        #expect(v6.description == "[::1]:80")
        let full = try SocketAddress(parsing: "[fe80:0:0:0:1:0:0:2]:1")
        #expect(full.host == "fe80::1:0:0:2")
    }

    @Test func refusesMalformedText() {
        #expect(throws: SocketAddressParseError.missingPort("127.0.0.1")) { try SocketAddress(parsing: "127.0.0.1") }
        #expect(throws: SocketAddressParseError.invalidPort("127.0.0.1:70000")) { try SocketAddress(parsing: "127.0.0.1:70000") }
        #expect(throws: SocketAddressParseError.invalidHost("300.0.0.1:1")) { try SocketAddress(parsing: "300.0.0.1:1") }
        #expect(throws: SocketAddressParseError.invalidHost("[1::2::3]:1")) { try SocketAddress(parsing: "[1::2::3]:1") }
        #expect(SocketAddress(ip: [1, 2, 3], port: 1) == nil)
    }

    @Test func ordersDeterministically() throws {
        let a = try SocketAddress(parsing: "127.0.0.1:2")
        let b = try SocketAddress(parsing: "127.0.0.1:10")
        let c = try SocketAddress(parsing: "127.0.0.2:1")
        #expect([c, b, a].sorted() == [a, b, c])
    }

    @Test("the bytes held inline come back as they went in, and order as byte arrays do")
    func bytesRoundTripAndOrderAsBytes() throws {
        var random = SeededRandom(seed: 9)
        var addresses: [SocketAddress] = []
        for round in 0..<400 {
            let count = round % 2 == 0 ? 4 : 16
            // Few distinct byte values, so that many addresses share prefixes and ties reach the port.
            let ip = (0..<count).map { _ in UInt8(random.next() % 3) * 127 }
            let address = try #require(SocketAddress(ip: ip, port: UInt16(random.next() % 3)))
            #expect(address.ip == ip)
            #expect(address.isIPv6 == (count == 16))
            #expect(try SocketAddress(parsing: address.description) == address)
            addresses.append(address)
        }
        let byBytes = addresses.sorted { $0.ip == $1.ip ? $0.port < $1.port : $0.ip.lexicographicallyPrecedes($1.ip) }
        #expect(addresses.sorted() == byBytes)
        #expect(SocketAddress(ip: [10, 0, 1, 2], port: 1)?.ipv4Value == 0x0A00_0102)
        #expect(try SocketAddress(parsing: "[::1]:1").ipv4Value == nil)
        #expect(try SocketAddress(parsing: "[::1]:1").isLoopback)
        #expect(try !SocketAddress(parsing: "[::2]:1").isLoopback)
        #expect(try SocketAddress(parsing: "127.3.0.1:1").isLoopback)
        #expect(SocketAddress(ip: [0, 0, 0, 0], port: 1) != SocketAddress(ip: [UInt8](repeating: 0, count: 16), port: 1))
    }
}
