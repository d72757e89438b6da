// Hex helpers for writing wire vectors the way they appear in the protocol notes.
@testable import MemberlistWire

/// Bytes from hex digits; spaces and newlines are ignored.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }.map { Character(String($0)) }
    var out: [UInt8] = []
    var i = 0
    while i + 1 < digits.count {
        out.append(UInt8(String(digits[i...i + 1]), radix: 16)!)
        i += 2
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined(separator: " ")
}

/// The bytes of a string's UTF-8 form.
func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// The reason `body` was refused with, nil if it was not refused (or refused with another error type).
func refusal<T>(_ body: () throws -> T) -> WireError.Reason? {
    do {
        _ = try body()
        return nil
    } catch let error as WireError {
        return error.reason
    } catch {
        return nil
    }
}
