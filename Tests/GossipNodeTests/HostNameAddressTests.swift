@testable import GossipNode
import ProtocolSupport
import Testing

/// Every setting that takes an address takes a host name too, resolved through the system resolver, or
/// refuses it in the same words whichever setting it was.
@Suite struct HostNameAddressTests {
    @Test func aNameResolvesThroughTheSystemResolver() throws {
        // getaddrinfo itself, not the parser's shortcut for "localhost": /etc/hosts always names it.
        let resolved = try HostResolver.resolve("localhost", port: 7946)
        #expect(resolved.first == (try SocketAddress(parsing: "127.0.0.1:7946")), "got \(resolved)")
    }

    @Test func aNameThatDoesNotResolveIsRefusedInOneWayForEverySetting() {
        // .invalid never resolves (RFC 2606).
        for key in ["bind", "join", "admin", "--admin"] {
            #expect(throws: ConfigurationError.self) { try ValueParsers.address("no-such-host.invalid:7946", key: key, source: .flag) }
            do {
                _ = try ValueParsers.address("no-such-host.invalid:7946", key: key, source: .flag)
            } catch {
                #expect("\(error)".contains(key) && "\(error)".contains("cannot resolve 'no-such-host.invalid'"), "got: \(error)")
            }
        }
    }

    @Test func textThatCannotBeANameNeverReachesTheResolver() {
        for text in ["bad name:1", "a..b:1", "-x:1", "x_y:1", String(repeating: "a", count: 64) + ":1"] {
            #expect(!HostResolver.isHostName(String(text.split(separator: ":").first ?? "")), "\(text)")
            do {
                _ = try ValueParsers.address(text, key: "join", source: .flag)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(!"\(error)".contains("cannot resolve"), "\(text) went to the resolver: \(error)")
            }
        }
        #expect(HostResolver.isHostName("seeds.example-cluster.internal"))
    }
}
