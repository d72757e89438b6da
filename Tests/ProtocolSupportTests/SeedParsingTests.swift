import ProtocolSupport
import Testing

@Suite("Seed: HOST:PORT as --join takes it, a name kept as a name")
struct SeedParsingTests {
    @Test func literalsBecomeAddressesAndNamesStayNames() throws {
        #expect(try Seed(parsing: "10.0.0.1:7946") == .address(SocketAddress(ipv4: 10, 0, 0, 1, port: 7946)))
        let v6 = try Seed(parsing: "[::1]:7946")
        #expect(v6 == .address(try SocketAddress(parsing: "[::1]:7946")))
        #expect("\(v6)" == "[::1]:7946")
        #expect(try Seed(parsing: "[fd00::7]:7000").description == "[fd00::7]:7000")
        #expect(try Seed(parsing: "seeds.cluster.internal:7946") == .name(host: "seeds.cluster.internal", port: 7946))
        // localhost is a name like any other: /etc/hosts decides what it is, at each join.
        #expect(try Seed(parsing: "localhost:7946") == .name(host: "localhost", port: 7946))
        #expect(try Seed(parsing: "seeds.cluster.internal:7946").description == "seeds.cluster.internal:7946")
    }

    @Test func malformedSeedsAreRefusedWithWhatIsWrong() {
        #expect(throws: SocketAddressParseError.missingPort("seeds")) { try Seed(parsing: "seeds") }
        #expect(throws: SocketAddressParseError.invalidPort("seeds:70000")) { try Seed(parsing: "seeds:70000") }
        #expect(throws: SocketAddressParseError.unbracketedIPv6("::1:7946")) { try Seed(parsing: "::1:7946") }
        #expect(throws: SocketAddressParseError.unbracketedIPv6("::1:7946")) { try SocketAddress(parsing: "::1:7946") }
        for text in ["bad name:1", "a..b:1", "-x:1", "x_y:1", "1.2.3:1", "300.0.0.1:1", ":1"] {
            #expect(throws: SocketAddressParseError.invalidHost(text)) { try Seed(parsing: text) }
        }
        #expect("\(SocketAddressParseError.unbracketedIPv6("::1:7946"))".contains("[::1]:7946"))
    }
}
