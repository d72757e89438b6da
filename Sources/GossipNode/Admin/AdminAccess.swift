import ProtocolSupport

/// Who may use the admin routes, decided once from the configuration before the node starts.
///
/// Read routes (/metrics, /health, /v1/members) answer anyone who reaches the server; write routes
/// (/v1/broadcast, /v1/leave) need the token when one is set. Off loopback a token is required, unless the
/// operator said explicitly that the read routes may be served without one: then the write routes are off.
package enum AdminAccess: Equatable, Sendable {
    /// Loopback without a token: only local processes reach the server, so every route is open.
    case open
    /// Write routes need `Authorization: Bearer TOKEN`.
    case token(String)
    /// Off loopback without a token, allowed by `admin_allow_unauthenticated`: read routes only.
    case readOnly

    /// The access for an admin server on `address`.
    /// - Throws: ``GossipNodeError/adminUnauthenticated(_:)`` off loopback with neither a token nor the
    ///   explicit permission: such a server would hand the member list to anyone who can reach it.
    package static func decide(address: SocketAddress, token: String?, allowUnauthenticated: Bool)
        throws(GossipNodeError) -> AdminAccess
    {
        if let token, !token.isEmpty { return .token(token) }
        if address.isLoopback { return .open }
        guard allowUnauthenticated else { throw .adminUnauthenticated(address) }
        return .readOnly
    }
}
