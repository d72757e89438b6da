import ProtocolSupport

/// The metrics of the node's limits against hostile or careless input (docs/ARCHITECTURE.md, "Limits"):
/// the admin server's connection cap and the inbound stream caps. Every refusal and cut-off is counted,
/// by reason, so a flood shows on a dashboard instead of only in a slow health check.
extension MetricContract {
    public static let adminConnectionsRefused = MetricDescriptor(
        name: "gossip_admin_connections_refused_total", kind: .counter,
        help: "Admin HTTP connections refused at accept, by reason (too_many_connections: full and none could be evicted).",
        labelNames: ["reason"])
    public static let adminConnectionsCutOff = MetricDescriptor(
        name: "gossip_admin_connections_cut_off_total", kind: .counter,
        help: "Admin HTTP connections closed by the server before the client was done, by reason (evicted, idle_timeout, request_timeout, write_timeout, reset, size_cap, loop_shutdown, other).",
        labelNames: ["reason"])
    public static let adminRequestsRefused = MetricDescriptor(
        name: "gossip_admin_requests_refused_total", kind: .counter,
        help: "Admin HTTP requests refused before routing, by reason (malformed, headers_too_large, body_too_large...).",
        labelNames: ["reason"])
    public static let adminConnectionsOpen = MetricDescriptor(
        name: "gossip_admin_connections_open", kind: .gauge, help: "Admin HTTP connections open now.")
    public static let inboundStreamsRefused = MetricDescriptor(
        name: "memberlist_inbound_streams_refused_total", kind: .counter,
        help: "Inbound memberlist TCP streams refused or cut by the node's limits, by reason (too_many_streams: refused at accept; memory_budget: cut when the bytes buffered across streams would pass the budget).",
        labelNames: ["reason"])
    public static let inboundStreamsOpen = MetricDescriptor(
        name: "memberlist_inbound_streams", kind: .gauge, help: "Inbound memberlist TCP streams being read now.")
    public static let inboundStreamBytes = MetricDescriptor(
        name: "memberlist_inbound_stream_bytes", kind: .gauge,
        help: "Bytes buffered now across every inbound memberlist TCP stream still being read.")

    /// Label values of the limits' counters (for pre-filling a registry and for the documentation).
    public static let adminConnectionRefusalReasons = ["too_many_connections"]
    public static let adminCutOffReasons = [
        "evicted", "idle_timeout", "request_timeout", "write_timeout", "reset", "size_cap", "loop_shutdown", "other",
    ]
    /// The runtime's HTTPRequestError reasons.
    public static let adminRequestRefusalReasons = [
        "malformed", "headers_too_large", "too_many_headers", "body_too_large", "unsupported_method",
        "unsupported_version", "too_many_pipelined",
    ]
    public static let inboundStreamRefusalReasons = ["too_many_streams", "memory_budget"]

    /// Everything above.
    public static let limits: [MetricDescriptor] = [
        adminConnectionsRefused, adminConnectionsCutOff, adminRequestsRefused, adminConnectionsOpen,
        inboundStreamsRefused, inboundStreamsOpen, inboundStreamBytes,
    ]
}
