/// What one connection may make the server hold. Every request is refused with a typed error the moment
/// it crosses one of these, before the bytes beyond the limit are kept.
public struct HTTPRequestLimits: Sendable, Hashable {
    /// Bytes of request target, header names and header values together (the line breaks and separators
    /// are not counted). The parser itself stops at 80 KiB whatever this says.
    public var maxHeaderBytes: Int
    /// Number of header fields.
    public var maxHeaderCount: Int
    /// Bytes of body, whether announced by Content-Length (refused before any body byte arrives) or chunked.
    public var maxBodyBytes: Int
    /// Requests a client may pipeline ahead of the one being answered. Their bytes together may not
    /// exceed `maxHeaderBytes + maxBodyBytes` either, so a connection holds at most about two maximal
    /// requests however fast it sends.
    public var maxQueuedRequests: Int

    public init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20, maxQueuedRequests: Int = 64) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxQueuedRequests = maxQueuedRequests
    }

    public static let `default` = HTTPRequestLimits()
}
