import Foundation
import GossipNode
import GossipTestSupport
import ProtocolSupport
import Testing

/// `keyring_file`: the keyring on disk as serf keeps it, created from `encrypt`, read at start, and written
/// back after every change, so that a key rotated in at run time survives a restart.
@Suite struct KeyringFileTests {
    static let first = [UInt8](repeating: 7, count: 32)
    static let second = [UInt8](repeating: 9, count: 16)

    static func configuration(_ name: String, file: String, keys: [[UInt8]] = []) -> GossipNodeConfiguration {
        var configuration = GossipNodeConfiguration(name: name, bind: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), profile: .local)
        configuration.keyringFile = file
        configuration.encryptionKeys = keys
        configuration.logLevel = .critical
        return configuration
    }

    static func fileKeys(_ path: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func aRotatedKeySurvivesARestart() async throws {
        let workspace = try TestWorkspace("keyring-file")
        defer { workspace.discard() }
        let path = workspace.url.appendingPathComponent("keyring.json").path
        let node = try await GossipNode(configuration: Self.configuration("kf-1", file: path, keys: [Self.first]))
        try await node.start()
        // Created from encrypt, readable by its owner only.
        #expect(try Self.fileKeys(path) == [Base64.encode(Self.first)])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        for operation in [KeyringOperation.install(Self.second), .use(Self.second), .remove(Self.first)] {
            #expect(try await node.changeKeyring(operation).succeeded, "\(operation)")
        }
        #expect(try Self.fileKeys(path) == [Base64.encode(Self.second)])
        await node.shutdown()

        // Started again from the file alone: the rotated key is the keyring.
        let again = try await GossipNode(configuration: Self.configuration("kf-1", file: path))
        try await again.start()
        let listed = try await again.changeKeyring(.list)
        #expect(listed.answers.first?.keys == [Base64.encode(Self.second)])
        await again.shutdown()
    }

    @Test func filesThatCannotBeUsedAreRefusedNamingThem() async throws {
        let workspace = try TestWorkspace("keyring-file-bad")
        defer { workspace.discard() }
        let path = workspace.url.appendingPathComponent("keyring.json").path
        func refusal(_ configuration: GossipNodeConfiguration) async -> String? {
            do {
                let node = try await GossipNode(configuration: configuration)
                await node.shutdown()
                return nil
            } catch {
                guard case .invalidConfiguration(let text) = error else { return "\(error)" }
                return text
            }
        }
        #expect(await refusal(Self.configuration("kf-2", file: path))?.contains("does not exist") == true)
        for (content, expected) in [("not json", "not a JSON array"), ("[]", "holds none"), ("[\"c2hvcnQ=\"]", "entry 1")] {
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            let text = await refusal(Self.configuration("kf-2", file: path))
            #expect(text?.contains(expected) == true && text?.contains(path) == true, "\(content): \(text ?? "accepted")")
        }
        try "[\"\(Base64.encode(Self.first))\"]".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await refusal(Self.configuration("kf-2", file: path, keys: [Self.second]))?.contains("both set") == true)
    }
}
