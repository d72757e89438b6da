// memberlist's keyring and its AES-GCM envelope (security.go, keyring.go): `[vsn][12-byte nonce][ct+tag]`.
import COpenSSL

/// The AES keys a node holds: the primary seals everything it sends, every key is tried on what it receives.
///
/// Keys can be added, promoted to primary and removed at run time, which is how a cluster rotates its key
/// without a restart: install the new key everywhere, make it primary everywhere, remove the old one.
public struct Keyring: Hashable, Sendable {
    /// The nonce length; the caller supplies the nonce (drawn from its seeded random source).
    public static let nonceSize = 12
    /// The GCM tag length.
    public static let tagSize = 16
    /// The encryption version we write: 1, AES-GCM without padding (memberlist protocol >= 2).
    public static let version: UInt8 = 1
    /// What version 1 adds to a message: version byte, nonce, tag.
    public static let overhead = 1 + nonceSize + tagSize

    /// Every installed key, the primary first.
    public private(set) var keys: [[UInt8]]

    /// The key that seals outgoing messages.
    public var primaryKey: [UInt8] { keys[0] }

    /// A keyring with `primaryKey` and any number of other keys (each 16, 24 or 32 bytes).
    public init(primaryKey: [UInt8], otherKeys: [[UInt8]] = []) throws(WireError) {
        try Keyring.validate(key: primaryKey)
        keys = [primaryKey]
        for key in otherKeys { try addKey(key) }
    }

    /// Refuses keys that are not 16, 24 or 32 bytes (AES-128, -192, -256).
    public static func validate(key: [UInt8]) throws(WireError) {
        guard [16, 24, 32].contains(key.count) else {
            throw WireError(.invalidKey, "key size must be 16, 24 or 32 bytes, not \(key.count)")
        }
    }

    /// Installs `key` for decryption; installing a key already present does nothing.
    public mutating func addKey(_ key: [UInt8]) throws(WireError) {
        try Keyring.validate(key: key)
        if !keys.contains(key) { keys.append(key) }
    }

    /// Makes an installed key the primary one.
    public mutating func useKey(_ key: [UInt8]) throws(WireError) {
        guard let index = keys.firstIndex(of: key) else {
            throw WireError(.invalidKey, "the key to use is not installed")
        }
        keys.swapAt(0, index)
        if index > 1 {
            // Keep the remaining keys in installation order behind the new primary.
            let old = keys.remove(at: index)
            keys.insert(old, at: 1)
        }
    }

    /// Removes a key that is not the primary one; removing a key that is not installed does nothing.
    public mutating func removeKey(_ key: [UInt8]) throws(WireError) {
        guard key != keys[0] else { throw WireError(.invalidKey, "removing the primary key is not allowed") }
        keys.removeAll { $0 == key }
    }

    /// Seals `plaintext` with the primary key: `[1][nonce][ciphertext][tag]`.
    public func encrypt(_ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8] = []) throws(WireError) -> [UInt8] {
        guard nonce.count == Keyring.nonceSize else {
            throw WireError(.encryptFailed, "nonce must be \(Keyring.nonceSize) bytes, not \(nonce.count)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + Keyring.overhead)
        out.append(Keyring.version)
        out.append(contentsOf: nonce)
        guard AESGCM.seal(key: primaryKey, nonce: nonce, plaintext: plaintext, aad: associatedData, into: &out) else {
            throw WireError(.encryptFailed, "AES-GCM seal failed")
        }
        return out
    }

    /// Opens a sealed message by trying every key, primary first. Version 0 (PKCS7 padding, protocol 1)
    /// is read as well; any other version, a message too short to hold nonce and tag, or no key that
    /// authenticates it is `decryption_failed`.
    public func decrypt(_ message: [UInt8], associatedData: [UInt8] = []) throws(WireError) -> [UInt8] {
        try decrypt(message, range: 0..<message.count, associatedData: associatedData)
    }

    /// ``decrypt(_:associatedData:)`` over `message[range]`.
    public func decrypt(_ message: [UInt8], range: Range<Int>, associatedData: [UInt8]) throws(WireError) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= message.count, !range.isEmpty else {
            throw WireError(.decryptFailed, "empty encrypted payload")
        }
        let version = message[range.lowerBound]
        guard version <= 1 else { throw WireError(.decryptFailed, "unsupported encryption version \(version)") }
        guard range.count >= Keyring.overhead else {
            throw WireError(.decryptFailed, "encrypted payload of \(range.count) bytes is too short")
        }
        let nonceStart = range.lowerBound + 1
        let bodyStart = nonceStart + Keyring.nonceSize
        let tagStart = range.upperBound - Keyring.tagSize
        for key in keys {
            if var plain = AESGCM.open(
                key: key, message: message, nonceAt: nonceStart, ciphertext: bodyStart..<tagStart, tagAt: tagStart,
                aad: associatedData)
            {
                if version == 0 {
                    // PKCS7: the last byte says how many padding bytes to drop.
                    guard let pad = plain.last, pad >= 1, pad <= 16, Int(pad) <= plain.count else {
                        throw WireError(.decryptFailed, "bad PKCS7 padding")
                    }
                    plain.removeLast(Int(pad))
                }
                return plain
            }
        }
        throw WireError(.decryptFailed, "no installed key could decrypt the message")
    }
}

/// Thin wrapper over OpenSSL's EVP AES-GCM.
enum AESGCM {
    static func cipher(forKeySize size: Int) -> OpaquePointer? {
        switch size {
        case 16: return EVP_aes_128_gcm()
        case 24: return EVP_aes_192_gcm()
        case 32: return EVP_aes_256_gcm()
        default: return nil
        }
    }

    /// Appends ciphertext and tag to `out`.
    static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8], into out: inout [UInt8]) -> Bool {
        guard let ctx = EVP_CIPHER_CTX_new(), let cipher = cipher(forKeySize: key.count) else { return false }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_EncryptInit_ex(ctx, cipher, nil, key, nonce) == 1 else { return false }
        var outLength: Int32 = 0
        if !aad.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)) == 1 else { return false }
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: plaintext.count + Keyring.tagSize))
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            var written: Int32 = 0
            if !plaintext.isEmpty {
                guard EVP_EncryptUpdate(ctx, base + start, &written, plaintext, Int32(plaintext.count)) == 1 else {
                    return false
                }
            }
            var finalLength: Int32 = 0
            guard EVP_EncryptFinal_ex(ctx, base + start + Int(written), &finalLength) == 1 else { return false }
            let tagAt = base + start + plaintext.count
            return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Keyring.tagSize), tagAt) == 1
        }
        if !ok { out.removeLast(out.count - start) }
        return ok
    }

    /// The plaintext, or nil when `key` does not authenticate the message.
    static func open(key: [UInt8], message: [UInt8], nonceAt: Int, ciphertext: Range<Int>, tagAt: Int, aad: [UInt8]) -> [UInt8]? {
        guard let ctx = EVP_CIPHER_CTX_new(), let cipher = cipher(forKeySize: key.count) else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        return message.withUnsafeBufferPointer { m -> [UInt8]? in
            guard let base = m.baseAddress else { return nil }
            guard EVP_DecryptInit_ex(ctx, cipher, nil, key, base + nonceAt) == 1 else { return nil }
            var outLength: Int32 = 0
            if !aad.isEmpty {
                guard EVP_DecryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)) == 1 else { return nil }
            }
            // One spare byte so the buffer has an address even for an empty plaintext.
            var plain = [UInt8](repeating: 0, count: ciphertext.count + 1)
            let ok = plain.withUnsafeMutableBufferPointer { p -> Bool in
                guard let out = p.baseAddress else { return false }
                var written: Int32 = 0
                if !ciphertext.isEmpty {
                    guard EVP_DecryptUpdate(ctx, out, &written, base + ciphertext.lowerBound, Int32(ciphertext.count)) == 1 else {
                        return false
                    }
                }
                let tag = UnsafeMutableRawPointer(mutating: base + tagAt)
                guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Keyring.tagSize), tag) == 1 else { return false }
                var finalLength: Int32 = 0
                return EVP_DecryptFinal_ex(ctx, out + Int(written), &finalLength) == 1
            }
            guard ok else { return nil }
            plain.removeLast()
            return plain
        }
    }
}
