#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes repeated snapshots of one registry cheap.
///
/// A registry writes the same lines in the same order until a metric is added, and only the values
/// change. The first parse remembers, for each sample line, its text up to the value and where the value
/// goes; later snapshots compare each line's prefix with the remembered one and parse only the number. Any
/// difference (a new series, a different order) falls back to a full parse that rebuilds the template.
struct SnapshotTemplate {
    enum Part {
        case value
        case bucket(Int)
        case sum
        case count
        /// A line whose value is not kept (the `+Inf` bucket, or a line not understood).
        case ignore
    }

    struct Slot {
        var prefix: [UInt8]
        var family: Int
        var series: Int
        var part: Part
    }

    private(set) var snapshot: MetricsSnapshot
    private var slots: [Slot]

    /// A template from a full parse of `bytes`.
    init(parsing bytes: [UInt8]) {
        let snapshot = MetricsSnapshot(parsing: bytes)
        var familyIndex: [String: Int] = [:]
        for (index, family) in snapshot.families.enumerated() { familyIndex[family.name] = index }
        var slots: [Slot] = []
        Self.forEachLine(bytes) { line in
            guard let first = line.first, first != UInt8(ascii: "#") else { return }
            // Every sample line gets a slot, even one that leads nowhere, so that updates can match lines
            // one for one.
            let prefixEnd = line.lastIndex(of: UInt8(ascii: " ")) ?? line.endIndex
            var slot = Slot(prefix: Array(line[line.startIndex..<prefixEnd]), family: 0, series: 0, part: .ignore)
            defer { slots.append(slot) }
            guard let sample = ExpositionLine(line) else { return }
            var name = sample.name
            var labels = sample.labels
            var part = Part.value
            var bucketBound: Double?
            if familyIndex[name] == nil {
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    let base = String(name.dropLast(suffix.count))
                    guard familyIndex[base] != nil else { continue }
                    name = base
                    let le = labels.first { $0.name == "le" }?.value
                    labels.removeAll { $0.name == "le" }
                    switch suffix {
                    case "_sum": part = .sum
                    case "_count": part = .count
                    default:
                        // The +Inf bucket repeats _count; other buckets are found by their bound below.
                        guard let le, le != "+Inf", let bound = Double(le) else { return }
                        bucketBound = bound
                    }
                }
            }
            labels.sort()
            guard let family = familyIndex[name],
                  let series = snapshot.families[family].series.firstIndex(where: { $0.labels == labels })
            else { return }
            if let bucketBound {
                guard let bucket = snapshot.families[family].series[series].histogram?.buckets
                    .firstIndex(where: { $0.upperBound == bucketBound })
                else { return }
                part = .bucket(bucket)
            }
            slot.family = family
            slot.series = series
            slot.part = part
        }
        self.snapshot = snapshot
        self.slots = slots
    }

    /// Updates the values from a new exposition of the same registry; false when its shape changed (the
    /// caller then builds a new template).
    mutating func update(from bytes: [UInt8]) -> Bool {
        var next = snapshot
        var slotIndex = 0
        var matches = true
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { matches = slots.isEmpty; return }
            var start = 0
            while start < buffer.count, matches {
                var end = start
                while end < buffer.count, buffer[end] != UInt8(ascii: "\n") { end += 1 }
                defer { start = end + 1 }
                guard end > start, buffer[start] != UInt8(ascii: "#") else { continue }
                guard slotIndex < slots.count else { matches = false; return }
                let slot = slots[slotIndex]
                let prefixEnd = start + slot.prefix.count
                guard prefixEnd < end, buffer[prefixEnd] == UInt8(ascii: " "),
                      slot.prefix.elementsEqual(UnsafeBufferPointer(rebasing: buffer[start..<prefixEnd]))
                else { matches = false; return }
                var parsedEnd: UnsafeMutablePointer<CChar>?
                let pointer = UnsafeRawPointer(base + prefixEnd + 1).assumingMemoryBound(to: CChar.self)
                let value = strtod(pointer, &parsedEnd)
                guard let parsedEnd, UnsafeRawPointer(parsedEnd) > UnsafeRawPointer(pointer) else {
                    matches = false; return
                }
                switch slot.part {
                case .ignore: break
                case .value: next.families[slot.family].series[slot.series].value = value
                case .sum:
                    next.families[slot.family].series[slot.series].value = value
                    next.families[slot.family].series[slot.series].histogram?.sum = value
                case .count: next.families[slot.family].series[slot.series].histogram?.count = value
                case .bucket(let index):
                    next.families[slot.family].series[slot.series].histogram?.buckets[index].cumulativeCount = value
                }
                slotIndex += 1
            }
        }
        guard matches, slotIndex == slots.count else { return false }
        snapshot = next
        return true
    }

    private static func forEachLine(_ bytes: [UInt8], _ body: (ArraySlice<UInt8>) -> Void) {
        var start = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            body(bytes[start..<index])
            start = index + 1
        }
        if start < bytes.count { body(bytes[start...]) }
    }
}
