import Testing
@testable import GossipNode

/// A foreign label is logged the first time only, and the labels remembered are capped.
@Suite struct LabelMismatchLogTests {
    @Test func eachLabelOnceThenACapNoteThenSilence() {
        var log = LabelMismatchLog()
        #expect(log.decide(remoteLabel: "b") == .log)
        #expect(log.decide(remoteLabel: "b") == .silent)
        #expect(log.decide(remoteLabel: "") == .log, "an unlabelled sender is a label of its own")
        for index in 2..<LabelMismatchLog.maximumLabels { #expect(log.decide(remoteLabel: "l\(index)") == .log) }
        #expect(log.seen.count == LabelMismatchLog.maximumLabels)
        #expect(log.decide(remoteLabel: "one-too-many") == .capReached)
        #expect(log.decide(remoteLabel: "another") == .silent)
        #expect(log.decide(remoteLabel: "b") == .silent)
        #expect(log.seen.count == LabelMismatchLog.maximumLabels)
    }
}
