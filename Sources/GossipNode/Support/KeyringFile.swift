#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MemberlistWire

/// The keyring on disk, as serf keeps it (`-keyring-file`): a JSON array of base64 keys, the primary first.
/// A node started with `keyring_file` reads its keys from it and writes it back after every change to its
/// keyring, so a key rotated in at run time (`gossip-node keys`, `serf keys`) survives a restart.
enum KeyringFile {
    /// The keys the node starts with: the file's when it exists; else `keys` (from `encrypt`), which are
    /// written to it, so that the file holds the keyring from then on.
    /// - Throws: ``GossipNodeError/invalidConfiguration(_:)`` naming the file and what is wrong with it.
    static func resolve(path: String, keys: [[UInt8]]) throws(GossipNodeError) -> [[UInt8]] {
        guard FileManager.default.fileExists(atPath: path) else {
            guard !keys.isEmpty else {
                throw .invalidConfiguration("keyring_file \(path) does not exist, and no encrypt key was given to start it with")
            }
            try write(keys, to: path)
            return keys
        }
        guard keys.isEmpty else {
            throw .invalidConfiguration("encrypt and keyring_file are both set, and \(path) exists: the file holds the keyring, so drop encrypt")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 64 << 10 else {
            throw .invalidConfiguration("keyring_file \(path) cannot be read, or is over 64 KiB")
        }
        guard let texts = try? JSONDecoder().decode([String].self, from: data), !texts.isEmpty else {
            throw .invalidConfiguration("keyring_file \(path) is not a JSON array of base64 keys, or holds none")
        }
        var loaded: [[UInt8]] = []
        for (index, text) in texts.enumerated() {
            guard let key = Base64.decode(text), [16, 24, 32].contains(key.count) else {
                throw .invalidConfiguration("keyring_file \(path): entry \(index + 1) is not a base64 key of 16, 24 or 32 bytes")
            }
            if !loaded.contains(key) { loaded.append(key) }
        }
        return loaded
    }

    /// Writes the keyring: to a temporary file beside it, flushed, then renamed over it, readable by its
    /// owner only, so that a crash leaves the old file or the new one, never half of one.
    static func write(_ keys: [[UInt8]], to path: String) throws(GossipNodeError) {
        let body = "[" + keys.map { "\"\(Base64.encode($0))\"" }.joined(separator: ",") + "]\n"
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            throw .invalidConfiguration("cannot write keyring_file \(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(body.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let flushed = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, flushed, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .invalidConfiguration("cannot write keyring_file \(path): \(String(cString: strerror(errno)))")
        }
    }
}
