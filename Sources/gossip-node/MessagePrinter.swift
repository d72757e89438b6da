import GossipNode
import GossipObservability
#if canImport(Glibc)
import Glibc
#endif

/// `--print-messages`: one JSON object per delivered message, on one line: id, origin, hops and payload
/// (UTF-8 text as is, anything else base64 with `"encoding":"base64"`).
enum MessagePrinter {
    /// Written straight to file descriptor 1, unbuffered, so a reader of a pipe sees each line at once.
    static func print(_ message: GossipMessage) {
        writeLine(line(message))
    }

    static func line(_ message: GossipMessage) -> String {
        var text = "{\"id\":\"\(message.id)\",\"origin\":\(quoted(message.origin)),\"hops\":\(message.hops),"
        if let utf8 = String(validating: message.payload, as: UTF8.self) {
            text += "\"payload\":\(quoted(utf8))}"
        } else {
            text += "\"payload\":\"\(Base64.encode(message.payload))\",\"encoding\":\"base64\"}"
        }
        return text
    }

    static func quoted(_ text: String) -> String {
        var out = ""
        JSONWriter.appendQuoted(text, to: &out)
        return out
    }
}
