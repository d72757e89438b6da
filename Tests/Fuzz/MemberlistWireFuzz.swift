// libFuzzer entry point over MemberlistWire's decoders. Compiled together with Sources/MemberlistWire by
// build.sh (one module, so no import). The first input byte picks a decoder; the rest is the untrusted input.
// Besides "no crash", it checks one property: whatever decodes re-encodes to bytes that decode to the same.

/// A fixed label: every packet and stream input is read a second time by a node with this label, so the
/// label header paths (its check, the associated data, the assembler's offset) see the same inputs.
private let fuzzLabel = try! LabelPolicy(label: Array("fz".utf8))

/// A fixed keyring, so encrypted seeds stay meaningful across runs.
private let fuzzKeyring: Keyring? = try? Keyring(
    primaryKey: [UInt8](repeating: 0x5A, count: 32), otherKeys: [[UInt8](repeating: 0xA5, count: 16)])

@_cdecl("LLVMFuzzerTestOneInput")
public func memberlistWireFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let mode = input[0] % 8
    let body = Array(input.dropFirst())
    switch mode {
    case 0: checkPacket(body, security: .plaintext)
    case 1: checkPacket(body, security: .init(keyring: fuzzKeyring))
    case 2: checkPacket(body, security: .init(keyring: fuzzKeyring, verifyIncoming: false))
    case 3: checkStream(body, keyring: nil, chunk: body.count)
    case 4: checkStream(body, keyring: nil, chunk: 1 + Int(body.first ?? 0) % 7)
    case 5: checkStream(body, keyring: fuzzKeyring, chunk: 1 + Int(body.first ?? 0) % 13)
    case 6: _ = try? LZW.inflate(body, maxOutput: 1 << 20)
    default: _ = try? SerfTags.decode(body)
    }
    return 0
}

private func checkPacket(_ bytes: [UInt8], security: Packet.Security) {
    checkPacket(bytes, security: security, label: .none)
    checkPacket(bytes, security: security, label: fuzzLabel)
}

private func checkPacket(_ bytes: [UInt8], security: Packet.Security, label: LabelPolicy) {
    guard let messages = try? Packet.decode(bytes, security: security, label: label) else { return }
    for message in messages {
        let again = try? Packet.decode(try! Packet.encode(message.encoded(), label: label.label), label: label)
        precondition(again == [message], "packet message does not survive a re-encode: \(message)")
    }
}

private func checkStream(_ bytes: [UInt8], keyring: Keyring?, chunk: Int) {
    checkStream(bytes, keyring: keyring, chunk: chunk, label: .none)
    checkStream(bytes, keyring: keyring, chunk: chunk, label: fuzzLabel)
}

private func checkStream(_ bytes: [UInt8], keyring: Keyring?, chunk: Int, label: LabelPolicy) {
    var reader = StreamReader(keyring: keyring, maxSize: 1 << 20, label: label)
    var start = 0
    var result = StreamReadResult.needMore
    while start < bytes.count, result == .needMore {
        let end = min(bytes.count, start + max(1, chunk))
        result = reader.feed(bytes[start..<end])
        start = end
    }
    if result == .needMore { result = reader.finish() }
    checkAssembler(bytes, keyring: keyring, chunk: chunk, label: label, reader: result)
    // Fed in one piece, the same bytes must give the same answer.
    var whole = StreamReader(keyring: keyring, maxSize: 1 << 20, label: label)
    var wholeResult = whole.feed(bytes)
    if wholeResult == .needMore { wholeResult = whole.finish() }
    switch (result, wholeResult) {
    case (.complete(let a, let consumedA), .complete(let b, let consumedB)):
        precondition(a == b && consumedA == consumedB, "chunked and whole reads disagree")
        let again = try? StreamReader.decode(a.encoded())
        precondition(again == a, "stream message does not survive a re-encode")
    case (.failed, .failed): break
    default: preconditionFailure("chunked and whole reads disagree: \(result) vs \(wholeResult)")
    }
}

/// The frame assembler, fed the same pieces, must agree with the reader on where a message ends, refuse
/// only what the reader refuses too, and look at each byte a bounded number of times.
private func checkAssembler(_ bytes: [UInt8], keyring: Keyring?, chunk: Int, label: LabelPolicy, reader: StreamReadResult) {
    var assembler = StreamFrameAssembler(hasKeyring: keyring != nil, maxSize: 1 << 20, label: label)
    var start = 0
    var progress = StreamFrameProgress.needMore
    while start < bytes.count, progress == .needMore {
        let end = min(bytes.count, start + max(1, chunk))
        progress = assembler.feed(Array(bytes[start..<end]))
        start = end
    }
    // Each byte is appended once, walked at most once (msgpack headers) and decoded at most once (the
    // push/pull or user header): three looks, whatever the pieces.
    precondition(assembler.work <= 3 * assembler.bytes.count + 16, "assembler work \(assembler.work) for \(assembler.bytes.count) bytes")
    switch (progress, reader) {
    case (.complete(let length), .complete(_, let consumed)):
        precondition(length == consumed, "assembler ends at \(length), reader at \(consumed)")
    case (.complete(let length), .failed):
        // The assembler checks structure only; what it calls whole, the reader must judge whole too.
        var again = StreamReader(keyring: keyring, maxSize: 1 << 20, label: label)
        if case .needMore = again.feed(bytes[..<length]) { preconditionFailure("assembler whole at \(length), reader wants more") }
    case (.invalid, .complete):
        preconditionFailure("assembler refused what the reader reads: \(progress)")
    case (.needMore, .complete(_, let consumed)):
        preconditionFailure("reader complete at \(consumed), assembler wants more")
    default:
        break
    }
}
