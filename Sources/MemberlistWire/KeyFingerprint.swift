import COpenSSL

/// A short name for a key that logs and reports may show: the first 8 bytes of its SHA-256, in hex. Two
/// keys are told apart by it; the key cannot be recovered from it.
public enum KeyFingerprint {
    public static func of(_ key: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        guard ok == 1 else { return "unknown" }
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest.prefix(8) { text += [hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
