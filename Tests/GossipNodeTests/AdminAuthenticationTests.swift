import Foundation
import Logging
import Synchronization
import Testing
@testable import GossipNode

/// Admin authentication: byte-exact token comparison, tokens from a file or the environment, and an admin
/// server off loopback that needs a token or the operator's explicit permission.
@Suite struct AdminAuthenticationTests {
    @Test func tokensCompareByTheirBytesNotByUnicodeEquivalence() {
        #expect(AdminToken.authorizes(header: "Bearer s3cret", token: "s3cret"))
        #expect(AdminToken.authorizes(header: "bearer s3cret", token: "s3cret"), "the scheme is case-insensitive")
        #expect(!AdminToken.authorizes(header: "Bearer s3creT", token: "s3cret"))
        #expect(!AdminToken.authorizes(header: "Bearer s3cre", token: "s3cret"))
        #expect(!AdminToken.authorizes(header: "Bearer s3crett", token: "s3cret"))
        #expect(!AdminToken.authorizes(header: "Bearer ", token: "s3cret"))
        #expect(!AdminToken.authorizes(header: nil, token: "s3cret"))
        #expect(!AdminToken.authorizes(header: "Basic s3cret", token: "s3cret"))
        // "é" precomposed and decomposed are equal as Strings, but they are different tokens.
        #expect("caf\u{e9}" == "cafe\u{301}")
        #expect(!AdminToken.authorizes(header: "Bearer cafe\u{301}", token: "caf\u{e9}"))
        #expect(AdminToken.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!AdminToken.constantTimeEqual([1, 2, 3], [1, 2, 3, 0]), "a trailing zero is not padding")
        #expect(!AdminToken.constantTimeEqual([], [0]))
    }

    @Test func aUnicodeEquivalentTokenIsRefusedOverHTTP() async throws {
        var configuration = GossipNodeConfiguration(name: "admin-unicode", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
        configuration.admin = SocketAddress(ipv4: 127, 0, 0, 1, port: 0)
        configuration.adminToken = "caf\u{e9}"
        configuration.logLevel = .error
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        let address = try #require(node.adminAddress)
        #expect(try await AdminClient(address: address, token: "cafe\u{301}", timeout: .seconds(5)).post("/v1/broadcast", body: [1]).status == 401)
        #expect(try await AdminClient(address: address, token: "caf\u{e9}", timeout: .seconds(5)).post("/v1/broadcast", body: [1]).status == 200)
        await node.shutdown()
    }

    @Test func offLoopbackWithoutATokenTheNodeRefusesToStart() async throws {
        var configuration = GossipNodeConfiguration(name: "admin-open", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
        configuration.admin = SocketAddress(ipv4: 0, 0, 0, 0, port: 0)
        configuration.logLevel = .error
        do {
            _ = try await GossipNode(configuration: configuration)
            Issue.record("an admin server on 0.0.0.0 without a token was accepted")
        } catch {
            #expect(error == .adminUnauthenticated(SocketAddress(ipv4: 0, 0, 0, 0, port: 0)))
            for hint in ["admin_token_file", "--admin-token-file", "GOSSIP_ADMIN_TOKEN", "admin_allow_unauthenticated", "127.0.0.1"] {
                #expect(error.description.contains(hint), "the error names \(hint): \(error)")
            }
        }
        // A token, or loopback, is enough.
        configuration.adminToken = "s3cret"
        let withToken = try await GossipNode(configuration: configuration)
        await withToken.shutdown()
    }

    @Test func allowedExplicitlyItWarnsAndServesReadRoutesOnly() async throws {
        let lines = CapturedLines()
        var configuration = GossipNodeConfiguration(name: "admin-readonly", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
        configuration.admin = SocketAddress(ipv4: 0, 0, 0, 0, port: 0)
        configuration.adminAllowUnauthenticated = true
        configuration.logger = Logger(label: "gossip.protocol") { _ in CapturingHandler(lines: lines) }
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        let port = try #require(node.adminAddress).port
        let client = AdminClient(address: SocketAddress(ipv4: 127, 0, 0, 1, port: port), timeout: .seconds(5))
        #expect(try await client.get("/v1/members").status == 200)
        #expect(try await client.get("/metrics").status == 200)
        #expect(try await client.get("/health/live").status == 200)
        let broadcast = try await client.post("/v1/broadcast", body: [1])
        #expect(broadcast.status == 403 && broadcast.text.contains("admin_token_file"), "\(broadcast.text)")
        #expect(try await client.post("/v1/leave").status == 403)
        let tokenHolder = AdminClient(address: SocketAddress(ipv4: 127, 0, 0, 1, port: port), token: "anything", timeout: .seconds(5))
        #expect(try await tokenHolder.post("/v1/broadcast", body: [1]).status == 403, "no token is configured, so none opens the writes")
        #expect(lines.all.contains { $0.hasPrefix("warning") && $0.contains("admin server off loopback without a token") },
                "\(lines.all)")
        await node.shutdown()
    }

    @Test func theTokenComesFromAFileTheEnvironmentOrAFlag() throws {
        let directory = FileManager.default.temporaryDirectory
        let file = directory.appendingPathComponent("token-\(UUID().uuidString)").path
        try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let name: (key: String, value: RawSetting) = ("name", .scalar("n1"))

        let fromFlag = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("admin_token_file", .scalar(file))])
        #expect(fromFlag.adminToken == "from-file", "the final newline is not part of the token")
        let fromEnvFile = try GossipNodeConfiguration.load(file: nil, environment: ["GOSSIP_ADMIN_TOKEN_FILE": file], flags: [name])
        #expect(fromEnvFile.adminToken == "from-file")
        let fromEnv = try GossipNodeConfiguration.load(file: nil, environment: ["GOSSIP_ADMIN_TOKEN": "from-env"], flags: [name])
        #expect(fromEnv.adminToken == "from-env")
        let yaml = directory.appendingPathComponent("cfg-\(UUID().uuidString).yaml").path
        try "admin_token_file: \(file)\nadmin_allow_unauthenticated: true\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: yaml) }
        let fromYAML = try GossipNodeConfiguration.load(file: yaml, environment: [:], flags: [name])
        #expect(fromYAML.adminToken == "from-file" && fromYAML.adminAllowUnauthenticated)

        let missing = file + "-missing"
        #expect(throws: ConfigurationError.self) {
            try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("admin_token_file", .scalar(missing))])
        }
        do {
            _ = try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("admin_token_file", .scalar(missing))])
        } catch {
            #expect(error.description.contains("admin_token_file") && error.description.contains(missing))
        }
        let empty = directory.appendingPathComponent("token-\(UUID().uuidString)").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: ConfigurationError.self, "an empty token file would silently mean no token") {
            try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("admin_token_file", .scalar(empty))])
        }
        #expect(throws: ConfigurationError.self, "a device that never ends is not read whole") {
            try GossipNodeConfiguration.load(file: nil, environment: [:], flags: [name, ("admin_token_file", .scalar("/dev/zero"))])
        }
    }
}

/// Log lines kept in memory, for tests that check what a node logged.
final class CapturedLines: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}

/// `LEVEL message key=value...`, unescaped: enough to find a line, not to test the log format.
struct CapturingHandler: LogHandler {
    let lines: CapturedLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        lines.append("\(event.level.rawValue) \(event.message)\(fields)")
    }
}

/// Tags over memberlist's 512-byte limit are refused with the size they really take.
@Suite struct TagSizeTests {
    @Test func aTenKilobyteTagIsReportedAtItsSize() async throws {
        var configuration = GossipNodeConfiguration(name: "tags", bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0))
        configuration.logLevel = .error
        configuration.tags = ["big": String(repeating: "x", count: 10_000)]
        // 0xFF, a fixmap of 2, "big" (1 + 3), the value as str16 (3 + 10,000), "plumtree" (1 + 8), "1-2" (1 + 3).
        let expected = 1 + 1 + 4 + 10_003 + 9 + 4
        await #expect(throws: GossipNodeError.tagsTooLarge(size: expected)) { try await GossipNode(configuration: configuration) }
        #expect(GossipNodeError.tagsTooLarge(size: expected).description.contains("10022 bytes"))

        configuration.tags = [:]
        let node = try await GossipNode(configuration: configuration)
        try await node.start()
        await #expect(throws: GossipNodeError.tagsTooLarge(size: expected)) {
            try await node.updateTags(["big": String(repeating: "x", count: 10_000)])
        }
        await node.shutdown()
    }
}
