import Foundation
import Testing
import GossipNode

/// The README's embedding snippet, compiled here and run, and compared with the README's text so that the
/// two cannot drift apart.
@Suite struct ReadmeSnippetTests {
    // BEGIN README embedding snippet
    static func embeddingExample() async throws {
        // Two nodes on loopback, on ports the OS chooses.
        let first = try await GossipNode(configuration: .init(name: "api-1", bind: try SocketAddress(parsing: "127.0.0.1:0")))
        try await first.start()

        var configuration = GossipNodeConfiguration(name: "api-2", bind: try SocketAddress(parsing: "127.0.0.1:0"))
        configuration.seeds = [.address(try await first.boundAddress)]
        configuration.tags = ["role": "api"]
        let second = try await GossipNode(configuration: configuration)
        try await second.start()

        let id = try await first.broadcast(Array("config changed".utf8))
        for await message in second.messages {
            print("\(message.origin) -> api-2 in \(message.hops) hop(s): \(String(decoding: message.payload, as: UTF8.self))")
            if message.id == id { break }
        }

        try await second.leave()
        await second.shutdown()
        await first.shutdown()
    }
    // END README embedding snippet

    @Test func theSnippetRunsAndDeliversItsMessage() async throws {
        // Bounded: the snippet waits for its message; a broken node would make it wait forever.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await Self.embeddingExample(); return true }
            group.addTask { try await Task.sleep(for: .seconds(30)); return false }
            let finished = try await group.next() ?? false
            group.cancelAll()
            #expect(finished, "the README snippet did not receive its broadcast within 30 s")
        }
    }

    @Test func theREADMEShowsTheManifestTheNewUserPackageBuildsWith() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let manifest = try String(contentsOf: root.appendingPathComponent("Tests/NewUserPackage/my-service/Package.swift"), encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- snippet: package manifest"))
        let fenceStart = try #require(readme.range(of: "```swift\n", range: marker.upperBound..<readme.endIndex))
        let fenceEnd = try #require(readme.range(of: "```\n", range: fenceStart.upperBound..<readme.endIndex))
        #expect(String(readme[fenceStart.upperBound..<fenceEnd.lowerBound]) == manifest,
                "README's Package.swift differs from Tests/NewUserPackage/my-service/Package.swift, which make new-user builds")
    }

    @Test func theREADMEShowsExactlyThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)

        let snippetStart = try #require(readme.range(of: "<!-- snippet: embedding"))
        let fenceStart = try #require(readme.range(of: "```swift\n", range: snippetStart.upperBound..<readme.endIndex))
        let fenceEnd = try #require(readme.range(of: "\n```", range: fenceStart.upperBound..<readme.endIndex))
        let readmeLines = readme[fenceStart.upperBound..<fenceEnd.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0 != "import GossipNode" }
            .drop { $0.isEmpty }

        let begin = try #require(source.range(of: "// BEGIN README embedding snippet\n"))
        let end = try #require(source.range(of: "// END README embedding snippet"))
        let body = source[begin.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .dropFirst()       // the function's signature
        let bodyLines = Array(body.dropLast(2))  // its closing brace and the empty remainder
        #expect(Array(readmeLines) == bodyLines, "README.md's embedding snippet and this test's copy differ")
    }
}
