// LZW as Go's compress/lzw implements it with memberlist's parameters: LSB bit order, 8-bit literals,
// clear code 256, end code 257, codes from 9 up to 12 bits. Written from the format's definition so that the
// bit stream matches Go's byte for byte (Go's writer starts with a clear code; its reader does not need one).

/// Go's `compress/lzw` (LSB, literal width 8).
public enum LZW {
    static let clearCode = 256
    static let endCode = 257
    static let maxWidth = 12
    static let maxCode = (1 << maxWidth) - 1
    static let invalidCode = 0xFFFF

    /// Decompresses `input`, refusing streams that are invalid, end without the end code, or would inflate
    /// beyond `maxOutput` bytes (the check happens while inflating, before the memory is used).
    public static func inflate(_ input: [UInt8], maxOutput: Int) throws(WireError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(maxOutput, input.count * 3))
        // The dictionary: code -> (prefix code, suffix byte). Entries always point to a smaller code, so a
        // chain ends after at most 4096 steps, whatever a hostile stream contains. Codes are at most 12 bits,
        // so every index below stays inside the 4096-entry tables.
        let tableSize = 1 << maxWidth
        let prefix = UnsafeMutablePointer<UInt16>.allocate(capacity: tableSize)
        prefix.initialize(repeating: 0, count: tableSize)
        defer { prefix.deallocate() }
        let suffix = UnsafeMutablePointer<UInt8>.allocate(capacity: tableSize)
        suffix.initialize(repeating: 0, count: tableSize)
        defer { suffix.deallocate() }
        let stack = UnsafeMutablePointer<UInt8>.allocate(capacity: tableSize)
        stack.initialize(repeating: 0, count: tableSize)
        defer { stack.deallocate() }
        var width = 9
        var hi = endCode
        var overflow = 1 << width
        var last = invalidCode
        var bits: UInt32 = 0
        var nBits = 0
        var position = 0

        while true {
            while nBits < width {
                guard position < input.count else {
                    throw WireError(.unsupportedCompression, "LZW stream ends without its end code")
                }
                bits |= UInt32(input[position]) << UInt32(nBits)
                position += 1
                nBits += 8
            }
            let code = Int(bits & ((1 << UInt32(width)) - 1))
            bits >>= UInt32(width)
            nBits -= width

            if code < clearCode {
                guard output.count < maxOutput else { throw WireError(.tooLarge, "LZW output over \(maxOutput) bytes") }
                output.append(UInt8(code))
                if last != invalidCode {
                    suffix[hi] = UInt8(code)
                    prefix[hi] = UInt16(last)
                }
            } else if code == clearCode {
                width = 9
                hi = endCode
                overflow = 1 << width
                last = invalidCode
                continue
            } else if code == endCode {
                return output
            } else if code <= hi {
                // Expand the chain into `stack` from its end, then copy it out in order.
                var c = code
                var i = tableSize - 1
                if code == hi && last != invalidCode {
                    // The code being defined right now: the last expansion followed by its own first byte.
                    c = last
                    while c >= clearCode { c = Int(prefix[c]) }
                    stack[i] = UInt8(c)
                    i -= 1
                    c = last
                }
                while c >= clearCode {
                    guard i > 0 else { throw WireError(.unsupportedCompression, "LZW chain too long") }
                    stack[i] = suffix[c]
                    i -= 1
                    c = Int(prefix[c])
                }
                stack[i] = UInt8(c)
                let length = tableSize - i
                guard length <= maxOutput - output.count else {
                    throw WireError(.tooLarge, "LZW output over \(maxOutput) bytes")
                }
                output.append(contentsOf: UnsafeBufferPointer(start: stack + i, count: length))
                if last != invalidCode {
                    suffix[hi] = UInt8(c)
                    prefix[hi] = UInt16(last)
                }
            } else {
                throw WireError(.unsupportedCompression, "LZW code \(code) not yet defined")
            }
            last = code
            hi += 1
            if hi >= overflow {
                if width == maxWidth {
                    // The table is full: keep decoding with it unchanged until the next clear code.
                    last = invalidCode
                    hi -= 1
                } else {
                    width += 1
                    overflow = 1 << width
                }
            }
        }
    }

    /// Compresses `input` exactly as Go's `lzw.NewWriter(w, lzw.LSB, 8)` followed by `Close()` does.
    public static func deflate(_ input: [UInt8]) -> [UInt8] {
        var writer = BitWriter()
        writer.output.reserveCapacity(input.count / 2 + 8)
        writer.width = 9
        writer.write(UInt32(clearCode))
        guard let first = input.first else {
            writer.write(UInt32(endCode))
            writer.flush()
            return writer.output
        }
        // (prefix code << 8 | byte) -> code, open addressing. Every input byte after the first adds at most
        // one entry, and a clear code empties the table at 3838, so a table of at least twice
        // min(input.count, 3838) slots stays at most half full. Sizing it by the input, rather than at the
        // 16384 slots the largest input needs, keeps a 40-byte datagram from clearing 96 KiB of table.
        let entries = min(input.count, maxCode - endCode)
        var tableSize = 64
        while tableSize < 2 * entries { tableSize <<= 1 }
        let mask = tableSize - 1
        let keys = UnsafeMutablePointer<UInt32>.allocate(capacity: tableSize)
        keys.initialize(repeating: UInt32.max, count: tableSize)
        defer { keys.deallocate() }
        let values = UnsafeMutablePointer<UInt16>.allocate(capacity: tableSize)
        values.initialize(repeating: 0, count: tableSize)
        defer { values.deallocate() }
        var hi = UInt32(endCode)
        var overflow: UInt32 = 1 << 9
        var code = UInt32(first)

        for index in 1..<input.count {
            let literal = UInt32(input[index])
            let key = code << 8 | literal
            var slot = Int((key >> 12 ^ key) & UInt32(mask))
            var found = false
            while keys[slot] != UInt32.max {
                if keys[slot] == key {
                    code = UInt32(values[slot])
                    found = true
                    break
                }
                slot = (slot + 1) & mask
            }
            if found { continue }
            writer.write(code)
            code = literal
            // The next implied code; when the 12-bit space runs out, send a clear code and start over.
            hi += 1
            if hi == overflow {
                writer.width += 1
                overflow <<= 1
            }
            if hi == UInt32(maxCode) {
                writer.write(UInt32(clearCode))
                writer.width = 9
                hi = UInt32(endCode)
                overflow = 1 << 9
                keys.update(repeating: UInt32.max, count: tableSize)
                continue
            }
            keys[slot] = key
            values[slot] = UInt16(hi)
        }
        writer.write(code)
        hi += 1
        if hi == overflow { writer.width += 1 }
        if hi == UInt32(maxCode) {
            writer.write(UInt32(clearCode))
            writer.width = 9
        }
        writer.write(UInt32(endCode))
        writer.flush()
        return writer.output
    }
}

/// Packs codes least-significant bit first.
private struct BitWriter {
    var output: [UInt8] = []
    var bits: UInt32 = 0
    var nBits: UInt32 = 0
    var width: UInt32 = 9

    mutating func write(_ code: UInt32) {
        bits |= code << nBits
        nBits += width
        while nBits >= 8 {
            output.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
            nBits -= 8
        }
    }

    mutating func flush() {
        if nBits > 0 { output.append(UInt8(truncatingIfNeeded: bits)) }
    }
}
