import GossipRuntime

extension GossipNodeError {
    /// The status `POST /v1/broadcast` answers a refused broadcast with: 413 for a payload no retry can
    /// send, 429 for a local backlog that clears (the client should slow down and retry), 503 otherwise
    /// (the node is not running).
    package var broadcastStatus: HTTPStatus {
        switch self {
        case .messageTooLarge, .messageOverCacheBudget: .payloadTooLarge
        case .sendBacklogFull: .tooManyRequests
        default: .serviceUnavailable
        }
    }
}
