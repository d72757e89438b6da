// libFuzzer entry point over the node's settings parsers: the YAML config file, the GOSSIP_* environment
// and the flags, through the one public loader the agent uses (GossipNodeConfiguration.load).
//
// Input: up to three sections separated by 0x00: YAML text, environment lines, flag lines. A line is
// `KEY=VALUE`; when its first byte is below 0x20 it names the setting with that index instead of a
// written key (so mutations reach every setting quickly), and the rest of the line is the value. Flag
// lines starting with '+' are given as lists (comma-separated), like the repeatable flags.
//
// Besides "no crash", one property: whatever the loader accepts has every duration inside the widest
// range any duration setting allows (0...24h), so no accepted value can overflow deadline arithmetic.
#if canImport(Glibc)
import Glibc
#endif
import GossipNode

private let settings = GossipNodeConfiguration.settings.settings
private let yamlPath = "/tmp/gossip-settings-fuzz-\(getpid()).yaml"

@_cdecl("LLVMFuzzerTestOneInput")
public func settingsFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let sections = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).map(Array.init)
    let yaml = sections.first ?? []
    let environment = Dictionary(lines(sections.count > 1 ? sections[1] : []).map { pair in
        (settingIndex(pair.key).map { settings[$0].environmentVariable } ?? pair.key, pair.value)
    }, uniquingKeysWith: { _, last in last })
    let flags: [(key: String, value: RawSetting)] = lines(sections.count > 2 ? sections[2] : []).map { pair in
        let key = settingIndex(pair.key).map { settings[$0].key } ?? pair.key
        if pair.key.hasPrefix("+") { return (String(key.dropFirst()), .list(pair.value.split(separator: ",").map(String.init))) }
        return (key, .scalar(pair.value))
    }
    var file: String?
    if !yaml.isEmpty {
        writeFile(yaml)
        file = yamlPath
    }
    guard let configuration = try? GossipNodeConfiguration.load(file: file, environment: environment, flags: flags) else { return 0 }
    check(configuration)
    return 0
}

/// `KEY=VALUE` lines; a line without '=' is a key with an empty value.
private func lines(_ bytes: [UInt8]) -> [(key: String, value: String)] {
    bytes.split(separator: UInt8(ascii: "\n")).map { line in
        let text = String(decoding: line, as: UTF8.self)
        guard let equals = text.firstIndex(of: "=") else { return (text, "") }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

/// A key whose first byte is below 0x20 names a setting by index.
private func settingIndex(_ key: String) -> Int? {
    guard let first = key.utf8.first, first < 0x20 else { return nil }
    return Int(first) % settings.count
}

private func writeFile(_ bytes: [UInt8]) {
    let fd = open(yamlPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot write \(yamlPath)")
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        precondition(written > 0, "cannot write \(yamlPath)")
        offset += written
    }
}

private func check(_ c: GossipNodeConfiguration) {
    let durations: [Duration] = [
        c.leaveTimeout, c.membership.probeInterval, c.membership.probeTimeout, c.membership.gossipInterval,
        c.membership.gossipToTheDeadTime, c.membership.pushPullInterval, c.membership.tcpTimeout,
        c.plumtree.ihaveInterval, c.plumtree.graftTimeout, c.plumtree.messageCacheTTL, c.plumtree.pruneSettleDelay,
        c.plumtree.antiEntropyInterval, c.plumtree.antiEntropyMaxInterval,
    ]
    for duration in durations {
        precondition(duration >= .zero && duration <= .seconds(86_400), "an accepted duration is out of every range: \(duration)")
    }
    precondition((1...64).contains(c.plumtree.eagerFanout) && (576...65_507).contains(c.membership.udpBufferSize),
                 "an accepted count is out of its range")
}
