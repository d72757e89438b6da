/// What a scenario expects of the alert rules over its run.
///
/// The run is checked at every `checkEvery` from `from` to its end, for every alert the rule file defines.
/// At each check an alert must fire on exactly the instances of the strict expectations covering that
/// time; it may also fire on the instances of tolerant expectations (the minutes around a transition,
/// when an alert's `for` clock may or may not have run out). Anything else firing fails the scenario.
public struct AlertPlan: Sendable {
    public struct Expectation: Sendable {
        public var alert: String
        /// Instances (node names); nil in a tolerant expectation means any instance.
        public var instances: Set<String>?
        public var from: Duration
        public var until: Duration
        public var strict: Bool

        func covers(_ time: Duration) -> Bool { time >= from && time < until }
    }

    /// First check (the end of the warm-up).
    public var from: Duration
    public var checkEvery: Duration
    public private(set) var expectations: [Expectation] = []

    public init(from: Duration = .seconds(180), checkEvery: Duration = .seconds(60)) {
        self.from = from
        self.checkEvery = checkEvery
    }

    /// `alert` must fire on exactly `instances` (among the instances this plan names for it) throughout.
    public mutating func expect(_ alert: String, on instances: [NodeID], from: Duration, until: Duration) {
        expectations.append(Expectation(alert: alert, instances: Set(instances.map(\.name)), from: from, until: until, strict: true))
    }

    /// `alert` may fire on `instances` (nil: anywhere) throughout, but need not.
    public mutating func tolerate(_ alert: String, on instances: [NodeID]? = nil, from: Duration, until: Duration) {
        expectations.append(Expectation(alert: alert, instances: instances.map { Set($0.map(\.name)) }, from: from, until: until, strict: false))
    }

    /// The instances that must fire `alert` at `time`.
    func required(_ alert: String, at time: Duration) -> Set<String> {
        var result: Set<String> = []
        for e in expectations where e.strict && e.alert == alert && e.covers(time) { result.formUnion(e.instances ?? []) }
        return result
    }

    /// The instances that may fire `alert` at `time` besides the required ones; nil means any.
    func tolerated(_ alert: String, at time: Duration) -> Set<String>? {
        var result: Set<String> = []
        for e in expectations where !e.strict && e.alert == alert && e.covers(time) {
            guard let instances = e.instances else { return nil }
            result.formUnion(instances)
        }
        return result
    }

    /// Whether any tolerance covers `alert` at `time` (then promtool's exact check skips that point).
    func isTolerant(_ alert: String, at time: Duration) -> Bool {
        expectations.contains { !$0.strict && $0.alert == alert && $0.covers(time) }
    }

    /// The check times up to `end` (inclusive), in whole seconds.
    func checkTimes(until end: Duration) -> [Int] {
        let step = max(1, Int(checkEvery.components.seconds))
        var times: [Int] = []
        var t = Int(from.components.seconds)
        while t <= Int(end.components.seconds) {
            times.append(t)
            t += step
        }
        return times
    }
}
