import ArgumentParser
import GossipNode

/// `gossip-node keygen`: a new 32-byte AES key, base64, usable with `--encrypt` here and with serf's `-encrypt`.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new 32-byte encryption key in base64 (usable by serf too)."
    )

    func run() throws {
        // SystemRandomNumberGenerator is the kernel's CSPRNG (getrandom(2) on Linux), fit for keys.
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        print(Base64.encode(key))
    }
}
