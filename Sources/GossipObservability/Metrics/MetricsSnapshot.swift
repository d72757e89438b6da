/// The values of one node's metrics at one moment, read from its registry.
///
/// Families are sorted by name and series by labels, so two snapshots of equal registries compare equal
/// whatever the registry's internal order (the simulator relies on this for bit-for-bit reproducible runs).
public struct MetricsSnapshot: Sendable, Equatable {
    /// One metric family: a name, its type, its HELP text and its series.
    public struct Family: Sendable, Equatable {
        public var name: String
        /// `counter`, `gauge` or `histogram` as the exposition's TYPE line says.
        public var type: String
        public var help: String
        public var series: [Series]
    }

    /// One labelled series. Counters and gauges have a `value`; histograms have `histogram`.
    public struct Series: Sendable, Equatable {
        /// Label pairs sorted by name (`le` is never among them: it lives in ``Histogram/buckets``).
        public var labels: [Label]
        public var value: Double
        public var histogram: Histogram?

        /// The value of label `name`, if the series carries it.
        public func label(_ name: String) -> String? {
            labels.first { $0.name == name }?.value
        }
    }

    public struct Label: Sendable, Hashable, Comparable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }

        public static func < (lhs: Label, rhs: Label) -> Bool {
            (lhs.name, lhs.value) < (rhs.name, rhs.value)
        }
    }

    /// A histogram's cumulative buckets (upper bound, count), without `+Inf` (that is ``count``).
    public struct Histogram: Sendable, Equatable {
        public var buckets: [Bucket]
        public var sum: Double
        public var count: Double
    }

    public struct Bucket: Sendable, Equatable {
        public var upperBound: Double
        public var cumulativeCount: Double
    }

    public var families: [Family]

    public init(families: [Family]) {
        self.families = families
    }

    /// The family called `name`.
    public func family(_ name: String) -> Family? {
        families.first { $0.name == name }
    }

    /// The value of the counter or gauge `name` whose labels include every pair of `labels`; with several
    /// matches, their sum (so `value("memberlist_members")` is the member count over all states).
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        guard let family = family(name) else { return nil }
        let matching = family.series.filter { series in labels.allSatisfy { series.label($0.key) == $0.value } }
        guard !matching.isEmpty else { return nil }
        return matching.reduce(0) { $0 + $1.value }
    }

    /// The histogram `name` with exactly `labels`.
    public func histogram(_ name: String, _ labels: [String: String] = [:]) -> Histogram? {
        family(name)?.series.first { series in
            series.labels.count == labels.count && labels.allSatisfy { series.label($0.key) == $0.value }
        }?.histogram
    }
}

extension MetricsSnapshot {
    /// Parses a Prometheus text exposition (format 0.0.4) as this project's registries write it: HELP and
    /// TYPE lines, then `name{labels} value` lines; histogram lines are folded into their family.
    /// Lines it does not understand are skipped, never trusted.
    public init(parsing bytes: [UInt8]) {
        var builder = SnapshotBuilder()
        var start = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            builder.consume(bytes[start..<index])
            start = index + 1
        }
        if start < bytes.count { builder.consume(bytes[start...]) }
        self.init(families: builder.finish())
    }

    /// Parses exposition text.
    public init(parsing text: String) {
        self.init(parsing: Array(text.utf8))
    }
}

/// Accumulates parsed lines into families.
private struct SnapshotBuilder {
    private var families: [String: MetricsSnapshot.Family] = [:]
    /// Histogram series under construction, by family and label set.
    private var histograms: [String: [[MetricsSnapshot.Label]: MetricsSnapshot.Histogram]] = [:]

    mutating func consume(_ line: ArraySlice<UInt8>) {
        guard let first = line.first else { return }
        if first == UInt8(ascii: "#") {
            consumeComment(String(decoding: line, as: UTF8.self))
            return
        }
        guard let sample = ExpositionLine(line) else { return }
        for suffix in ["_bucket", "_sum", "_count"] where sample.name.hasSuffix(suffix) {
            let base = String(sample.name.dropLast(suffix.count))
            if families[base]?.type == "histogram" {
                addHistogramPart(base, suffix: suffix, sample)
                return
            }
        }
        var family = families[sample.name] ?? .init(name: sample.name, type: "untyped", help: "", series: [])
        family.series.append(.init(labels: sample.labels.sorted(), value: sample.value, histogram: nil))
        families[sample.name] = family
    }

    private mutating func consumeComment(_ line: String) {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard parts.count >= 3, parts[0] == "#" else { return }
        let name = String(parts[2])
        var family = families[name] ?? .init(name: name, type: "untyped", help: "", series: [])
        if parts[1] == "TYPE", parts.count == 4 {
            family.type = String(parts[3])
        } else if parts[1] == "HELP" {
            family.help = parts.count == 4 ? String(parts[3]) : ""
        } else {
            return
        }
        families[name] = family
    }

    private mutating func addHistogramPart(_ base: String, suffix: String, _ sample: ExpositionLine) {
        var labels = sample.labels
        let le = labels.first { $0.name == "le" }?.value
        labels.removeAll { $0.name == "le" }
        labels.sort()
        var histogram = histograms[base]?[labels] ?? .init(buckets: [], sum: 0, count: 0)
        switch suffix {
        case "_bucket":
            if let le, le != "+Inf", let bound = Double(le) {
                histogram.buckets.append(.init(upperBound: bound, cumulativeCount: sample.value))
            }
        case "_sum": histogram.sum = sample.value
        default: histogram.count = sample.value
        }
        histograms[base, default: [:]][labels] = histogram
    }

    func finish() -> [MetricsSnapshot.Family] {
        var result = families
        for (name, seriesByLabels) in histograms {
            var family = result[name] ?? .init(name: name, type: "histogram", help: "", series: [])
            for (labels, var histogram) in seriesByLabels {
                histogram.buckets.sort { $0.upperBound < $1.upperBound }
                family.series.append(.init(labels: labels, value: histogram.sum, histogram: histogram))
            }
            result[name] = family
        }
        return result.values
            .map { family in
                var family = family
                family.series.sort { $0.labels.lexicographicallyPrecedes($1.labels) }
                return family
            }
            .sorted { $0.name < $1.name }
    }
}

/// One `name{a="b",...} value` line.
struct ExpositionLine {
    var name: String
    var labels: [MetricsSnapshot.Label]
    var value: Double

    init?(_ line: ArraySlice<UInt8>) {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") {
            index += 1
        }
        guard index < line.endIndex, index > line.startIndex else { return nil }
        name = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        labels = []
        if line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.endIndex, line[index] != UInt8(ascii: "}") {
                guard let (label, next) = Self.parseLabel(line, from: index) else { return nil }
                labels.append(label)
                index = next
                if index < line.endIndex, line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.endIndex else { return nil }
            index += 1  // "}"
        }
        while index < line.endIndex, line[index] == UInt8(ascii: " ") { index += 1 }
        var end = index
        while end < line.endIndex, line[end] != UInt8(ascii: " ") { end += 1 }
        let text = String(decoding: line[index..<end], as: UTF8.self)
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(text) else { return nil }
            value = parsed
        }
    }

    /// Parses `name="value"` starting at `start`, undoing the exposition's escapes.
    private static func parseLabel(_ line: ArraySlice<UInt8>, from start: Int) -> (MetricsSnapshot.Label, Int)? {
        var index = start
        while index < line.endIndex, line[index] != UInt8(ascii: "=") { index += 1 }
        guard index + 1 < line.endIndex, line[index + 1] == UInt8(ascii: "\"") else { return nil }
        let name = String(decoding: line[start..<index], as: UTF8.self)
        index += 2
        var value: [UInt8] = []
        while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
            if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                index += 1
                value.append(line[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[index])
            } else {
                value.append(line[index])
            }
            index += 1
        }
        guard index < line.endIndex else { return nil }
        return (MetricsSnapshot.Label(name, String(decoding: value, as: UTF8.self)), index + 1)
    }
}
