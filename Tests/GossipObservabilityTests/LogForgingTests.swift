import Foundation
import Logging
import Testing
@testable import GossipObservability

/// The text log format cannot be forged: names, tags, addresses and reasons come from the network, and no
/// value may add a line or a field. Before escaping, a member name holding a newline wrote a whole
/// `critical` line of the sender's choosing.
@Suite("Logging: text lines cannot be forged")
struct LogForgingTests {
    let fixedTime: @Sendable () -> String = { "2026-01-02T03:04:05.006Z" }

    func textLogger(_ sink: MemoryLogSink) -> Logger {
        Logger(label: "gossip.protocol") { label in
            GossipLogHandler(label: label, format: .text, level: .trace, sink: sink, timestamp: fixedTime)
        }
    }

    @Test("a member name with a newline stays on its line, escaped")
    func newlineInAMemberName() throws {
        let sink = MemoryLogSink()
        let forged = "mallory\n2026-01-02T03:04:05.006Z critical protocol: cluster compromised"
        textLogger(sink).info("member joined", metadata: ["member": "\(forged)", "address": "10.0.0.9:7946"])
        let line = try #require(sink.lines.first)
        #expect(sink.lines.count == 1)
        #expect(!line.unicodeScalars.contains("\n") && !line.unicodeScalars.contains("\r"))
        #expect(line == "2026-01-02T03:04:05.006Z info protocol: member joined address=10.0.0.9:7946 "
                + "member=\"mallory\\n2026-01-02T03:04:05.006Z critical protocol: cluster compromised\"")
    }

    @Test("control characters, separators and bidi overrides are escaped in values, keys and the message")
    func controlCharacters() throws {
        let sink = MemoryLogSink()
        let hostile = "a\r\u{1b}[31mred\u{0}\u{7f}\u{85}\u{2028}\u{2029}\u{202e}\t\\"
        textLogger(sink).warning("reason: \(hostile)", metadata: ["tag": "\(hostile)", "k\ney": "v"])
        let line = try #require(sink.lines.first)
        let escaped = "a\\r\\u{1b}[31mred\\u{0}\\u{7f}\\u{85}\\u{2028}\\u{2029}\\u{202e}\\t\\\\"
        #expect(line == "2026-01-02T03:04:05.006Z warning protocol: reason: \(escaped) k\\ney=v tag=\(escaped)")
        for scalar in line.unicodeScalars {
            #expect(scalar.value >= 0x20 && scalar.value != 0x7f && !(0x80...0x9f).contains(scalar.value),
                    "no control character is written: U+\(String(scalar.value, radix: 16))")
        }
    }

    @Test("a value cannot close its quotes and add a field")
    func quotesAndEquals() throws {
        let sink = MemoryLogSink()
        textLogger(sink).info("member joined", metadata: ["member": "x\" level=\"critical", "role": "a=b", "empty": ""])
        let line = try #require(sink.lines.first)
        #expect(line.hasSuffix(" empty=\"\" member=\"x\\\" level=\\\"critical\" role=\"a=b\""), "\(line)")
    }

    @Test("ordinary text and Unicode names are left as they are")
    func ordinaryText() throws {
        let sink = MemoryLogSink()
        textLogger(sink).info("peer joined", metadata: ["peer": "nœud-2", "emoji": "🛰️", "path": "a b"])
        #expect(sink.lines == ["2026-01-02T03:04:05.006Z info protocol: peer joined emoji=🛰️ path=\"a b\" peer=nœud-2"])
    }
}
