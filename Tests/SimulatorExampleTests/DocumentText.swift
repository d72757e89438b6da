import Foundation

/// Reads the code a document shows and the code a test compiles, so that a test can hold the two equal.
enum DocumentText {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// A file of the repository, by its path from the root.
    static func repositoryFile(_ path: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// What lies between `start` and the next `end` in `text`.
    static func between(_ start: String, _ end: String, in text: some StringProtocol) throws -> Substring {
        guard let open = text.range(of: start) else { throw Missing(description: "no '\(start)'") }
        guard let close = text.range(of: end, range: open.upperBound..<text.endIndex) else { throw Missing(description: "no '\(end)' after '\(start)'") }
        return Substring(text[open.upperBound..<close.lowerBound])
    }

    /// The first fenced block after `marker` in a Markdown document, without its fences.
    static func fencedBlock(after marker: String, in document: String) throws -> Substring {
        guard let at = document.range(of: marker) else { throw Missing(description: "no '\(marker)'") }
        return try between("```swift\n", "\n```", in: document[at.upperBound...])
    }
}
