import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ports for real processes on loopback, chosen by the OS: bind port 0, read the port back, release it.
///
/// `udpAndTCP` asks for a port free on both protocols, since memberlist listens on both with one number.
public enum LoopbackPorts {
    public static func free(udpAndTCP: Bool = false) throws -> UInt16 {
        for _ in 0..<50 {
            let port = try bindZero(type: SOCK_STREAM)
            if !udpAndTCP || canBind(port: port, type: Int32(SOCK_DGRAM.rawValue)) { return port }
        }
        throw PortError.noneFree
    }

    public enum PortError: Error { case noneFree, socketFailed(Int32) }

    private static func bindZero(type: __socket_type) throws -> UInt16 {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { throw PortError.socketFailed(errno) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw PortError.socketFailed(errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func canBind(port: UInt16, type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// Polls `condition` until it holds or `timeout` passes; bounded in time and in count.
public func eventually(timeout: Duration, every interval: Duration = .milliseconds(100),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    var attempts = 0
    while ContinuousClock.now < deadline && attempts < 10_000 {
        if try await condition() { return true }
        attempts += 1
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Finds a Debian tool on PATH or in /usr/bin and /usr/sbin; nil when it is not installed.
public func toolPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let candidate = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
