import Membership

/// The one-way streams (reliable user messages: Plumtree's large sends) the node has asked its driver to
/// open and not yet heard the end of, with the bytes each carries.
///
/// The node core sees every such stream open (``NodeOutput/openStream(_:)``) and complete
/// (``NodeCore/streamCompleted(_:result:now:into:)``), so it keeps the ledger itself and the driver reports
/// nothing extra. A stream completes once its peer has read it and closed (the driver waits for that
/// close; the simulator answers then), so the ledger is what the peers still have to take in: a broadcast
/// refused while it is full is refused before anything is queued for it, instead of piling up in sockets
/// or being refused by the peer's own inbound-stream cap and lost.
struct OutboundStreamLedger {
    private var open: [StreamID: Int] = [:]
    /// Bytes of every stream in the ledger.
    private(set) var bytes = 0

    var count: Int { open.count }

    mutating func opened(_ request: StreamRequest) {
        // Streams that expect a reply are membership's own (push/pull, TCP ping): not Plumtree's load.
        guard !request.expectsReply, open[request.id] == nil else { return }
        open[request.id] = request.request.count
        bytes += request.request.count
    }

    mutating func completed(_ id: StreamID) {
        guard let size = open.removeValue(forKey: id) else { return }
        bytes -= size
    }
}
