import ProtocolSupport

/// What can go wrong when running a node; each case says what to do about it.
public enum GossipNodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another process holds the address.
    case addressInUse(SocketAddress)
    /// The node could not bind or listen for another reason.
    case bindFailed(SocketAddress, reason: String)
    /// None of the seeds answered the join.
    case seedsUnreachable([String])
    /// A live member of the cluster already has this node's name, at `address`; the node has shut down.
    case nameInUse(name: String, address: SocketAddress)
    /// The payload is over `plumtree.max_message_size`.
    case messageTooLarge(size: Int, limit: Int)
    /// The payload alone is larger than the message cache's byte budget (`plumtree.message_cache_max_bytes`).
    case messageOverCacheBudget(size: Int, limit: Int)
    /// The broadcast was refused because too much is still being sent: `streams` Plumtree streams carrying
    /// `bytes` bytes have not been read by their peers yet (`plumtree.max_outbound_streams`,
    /// `plumtree.max_outbound_stream_bytes`). Nothing was sent; retry after a while.
    case sendBacklogFull(bytes: Int, streams: Int)
    /// An encryption key is not 16, 24 or 32 bytes.
    case invalidKey(reason: String)
    /// The tags do not fit memberlist's 512-byte metadata limit.
    case tagsTooLarge(size: Int)
    /// The configuration is unusable; the text names the setting.
    case invalidConfiguration(String)
    /// The admin server would listen off loopback without a token, and the operator did not allow that
    /// with `admin_allow_unauthenticated`.
    case adminUnauthenticated(SocketAddress)
    /// The call needs a started node.
    case notStarted
    /// `start()` was called twice.
    case alreadyStarted
    /// The node has left or shut down.
    case stopped

    public var description: String {
        switch self {
        case .addressInUse(let address):
            return "\(address) is already in use: stop the other process or choose another port (0 lets the OS choose)"
        case .bindFailed(let address, let reason):
            return "cannot listen on \(address): \(reason)"
        case .nameInUse(let name, let address):
            return "the name '\(name)' is taken: a member of that name is alive at \(address); give this node a name of its own"
        case .seedsUnreachable(let reasons):
            return "could not join any seed: " + reasons.joined(separator: "; ") + "; check the addresses and that those nodes run"
        case .messageTooLarge(let size, let limit):
            return "message of \(size) bytes is over the \(limit)-byte limit (plumtree.max_message_size): split it or raise the limit"
        case .messageOverCacheBudget(let size, let limit):
            return "message of \(size) bytes is over the message cache's \(limit)-byte budget (plumtree.message_cache_max_bytes): split it or raise the budget"
        case .sendBacklogFull(let bytes, let streams):
            return "broadcast refused: \(streams) streams holding \(bytes) bytes are still being sent (plumtree.max_outbound_streams, plumtree.max_outbound_stream_bytes); retry after a while or broadcast less at once"
        case .invalidKey(let reason):
            return "invalid encryption key: \(reason); `gossip-node keygen` makes a valid one"
        case .tagsTooLarge(let size):
            return "tags take \(size) bytes, over memberlist's 512-byte limit: use fewer or shorter tags"
        case .invalidConfiguration(let text):
            return "invalid configuration: \(text)"
        case .adminUnauthenticated(let address):
            return "the admin server on \(address) is reachable off loopback without a token: set admin_token_file "
                + "(--admin-token-file FILE) or GOSSIP_ADMIN_TOKEN, or bind admin to 127.0.0.1; to serve the read "
                + "routes (/metrics, /health, /v1/members) to anyone without a token, set admin_allow_unauthenticated "
                + "(--admin-allow-unauthenticated)"
        case .notStarted: return "the node is not started: call start() first"
        case .alreadyStarted: return "the node is already started"
        case .stopped: return "the node has left the cluster or shut down"
        }
    }
}
