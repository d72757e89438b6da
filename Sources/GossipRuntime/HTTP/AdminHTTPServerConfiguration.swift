import ProtocolSupport

/// How the admin HTTP server listens and what it allows each client.
public struct AdminHTTPServerConfiguration: Sendable, Equatable {
    /// Where to listen: loopback only unless told otherwise (the admin API is not meant for the network);
    /// port 0 lets the OS choose, and ``AdminHTTPServer/localAddress`` says which it chose.
    public var address: SocketAddress
    /// Header, body and pipelining bounds for every request.
    public var limits: HTTPRequestLimits
    /// Connections open at once. When full, a new connection takes the place of the one idle the longest
    /// (or of a request stalled for ``busyEvictionAge``), so a flood of idle connections cannot lock out a
    /// health probe. Connections accepted moments ago that have not been read yet are not judged: while
    /// they block eviction, new ones are admitted up to four times this cap. Past that, or when every
    /// connection is busy, a new one is answered 503 and closed.
    public var maxConnections: Int
    /// While full, a request still arriving (or answers the client is not reading) this long may be cut
    /// to admit a new connection.
    public var busyEvictionAge: Duration
    /// A keep-alive connection with no request in progress is closed after this long without a byte.
    public var idleTimeout: Duration
    /// A request must arrive completely within this time of its first byte (a client trickling bytes
    /// cannot hold a connection open forever).
    public var requestTimeout: Duration
    /// Queued response bytes must make progress within this time (a client that stops reading is cut off).
    public var writeTimeout: Duration
    /// After a refusal the server stops writing and discards what the client still sends, for at most
    /// this long and ``lingerMaxBytes`` bytes, before closing: closing with unread bytes would make the
    /// kernel reset the connection and the client could lose the error answer.
    public var lingerTimeout: Duration
    public var lingerMaxBytes: Int
    /// Answer bytes allowed to wait for a client that is not reading them; beyond this the connection is
    /// not read until they drain (pipelined requests wait in the kernel, not in the server).
    public var maxPendingWriteBytes: Int
    /// Whether responses carry a Date field.
    public var sendsDate: Bool
    /// The listen backlog: connections the kernel completes before the server accepts them. Large enough
    /// that a burst of connections does not overflow it: a client whose handshake the kernel drops waits a
    /// full second to retry, longer than a health probe's usual timeout (the kernel caps it at somaxconn).
    public var backlog: Int32

    public init(
        address: SocketAddress = SocketAddress(ipv4: 127, 0, 0, 1, port: 0),
        limits: HTTPRequestLimits = .default,
        maxConnections: Int = 64,
        busyEvictionAge: Duration = .seconds(2),
        idleTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(10),
        writeTimeout: Duration = .seconds(10),
        lingerTimeout: Duration = .seconds(2),
        lingerMaxBytes: Int = 4 << 20,
        maxPendingWriteBytes: Int = 1 << 20,
        sendsDate: Bool = true,
        backlog: Int32 = 1024
    ) {
        self.address = address
        self.limits = limits
        self.maxConnections = maxConnections
        self.busyEvictionAge = busyEvictionAge
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.writeTimeout = writeTimeout
        self.lingerTimeout = lingerTimeout
        self.lingerMaxBytes = lingerMaxBytes
        self.maxPendingWriteBytes = maxPendingWriteBytes
        self.sendsDate = sendsDate
        self.backlog = backlog
    }
}

/// What the admin server has done since it started; for the node's metrics and for tests.
public struct AdminHTTPServerStatistics: Sendable, Equatable {
    /// Connections accepted and served (not counting those refused over the cap).
    public var connectionsAccepted = 0
    /// Connections answered 503 because ``AdminHTTPServerConfiguration/maxConnections`` were open and none
    /// could be evicted.
    public var connectionsRefused = 0
    /// Connections open now (lingering ones included).
    public var openConnections = 0
    /// Responses written, refusals included.
    public var responses = 0
    /// Requests refused, by ``HTTPRequestError/reason`` (`malformed`, `headers_too_large`, ...).
    public var refusals: [String: Int] = [:]
    /// Times a connection stopped being read because its client was not reading its answers.
    public var readPausesForWrites = 0
    /// Connections the runtime cut off, by cause: `evicted` (to admit a new one while full),
    /// `idle_timeout`, `request_timeout`, `write_timeout`, `reset`, `size_cap`, `loop_shutdown`, `other`.
    public var cutOffs: [String: Int] = [:]

    public init() {}
}
