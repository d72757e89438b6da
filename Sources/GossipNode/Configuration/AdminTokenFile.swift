import Foundation

/// Reads the admin token from a file (`admin_token_file`), so that it appears neither in `ps` (as a flag
/// would) nor in the process environment of children.
package enum AdminTokenFile {
    /// A token is a short secret; a larger file is a wrong path (a log, a binary), not a token.
    package static let maxBytes = 4096

    /// The file's text without surrounding whitespace (editors and `echo` add a final newline).
    package static func read(_ path: String, key: String, source: SettingSource) throws(ConfigurationError) -> String {
        guard !path.isEmpty else {
            throw .invalidValue(key: key, value: path, expected: "the path of a file holding the admin token", source: source)
        }
        // Read at most one byte past the limit: /dev/zero or a huge file must not be read whole.
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw .invalidValue(key: key, value: path, expected: "a readable file holding the admin token (\(error.localizedDescription))", source: source)
        }
        guard data.count <= maxBytes else {
            throw .invalidValue(key: key, value: path, expected: "a file of at most \(maxBytes) bytes holding only the admin token", source: source)
        }
        guard let text = String(data: data, encoding: .utf8), !text.trimmed.isEmpty else {
            throw .invalidValue(key: key, value: path, expected: "a file holding the admin token as UTF-8 text, not empty", source: source)
        }
        return text.trimmed
    }
}
