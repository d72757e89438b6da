import Foundation

/// The ports a process listens on, read back from the kernel (`/proc/<pid>/fd` and `/proc/<pid>/net/*`).
///
/// Children are started with port 0 and the parent (a test, `gossip-node monitor`) learns what the kernel
/// chose from here, so no port is ever probed free and bound later by someone else in between.
package struct ListeningSockets: Sendable, Equatable, CustomStringConvertible {
    /// TCP sockets in LISTEN.
    package var tcp: Set<UInt16> = []
    /// Bound, unconnected UDP sockets.
    package var udp: Set<UInt16> = []

    package init(tcp: Set<UInt16> = [], udp: Set<UInt16> = []) {
        self.tcp = tcp
        self.udp = udp
    }

    /// memberlist's port: the one number listened on with both TCP and UDP; nil unless exactly one is.
    package var membershipPort: UInt16? {
        let both = tcp.intersection(udp)
        return both.count == 1 ? both.first : nil
    }

    /// TCP listeners without a UDP twin: an RPC or admin HTTP server.
    package var tcpOnly: Set<UInt16> { tcp.subtracting(udp) }

    package var description: String { "tcp \(tcp.sorted()), udp \(udp.sorted())" }

    /// What `pid` holds now; empty when the process is gone or has bound nothing yet.
    package static func of(pid: Int32) -> ListeningSockets {
        let inodes = socketInodes(pid: pid)
        guard !inodes.isEmpty else { return ListeningSockets() }
        var sockets = ListeningSockets()
        for table in ["tcp", "tcp6"] {
            // 0A is TCP_LISTEN.
            sockets.tcp.formUnion(ports(in: "/proc/\(pid)/net/\(table)", inodes: inodes) { state, _ in state == "0A" })
        }
        for table in ["udp", "udp6"] {
            // A UDP socket that serves is unconnected: its remote port is 0.
            sockets.udp.formUnion(ports(in: "/proc/\(pid)/net/\(table)", inodes: inodes) { _, remote in remote.hasSuffix(":0000") })
        }
        return sockets
    }

    /// Every socket in this network namespace bound to the IPv4 address `ip` and still held by a process
    /// (TIME_WAIT remnants belong to no one and are left out), as "tcp 127.77.0.1:40000 state 0A" lines.
    /// Given an address no one else uses (any of 127.0.0.0/8 is loopback), it shows what a node left open.
    package static func bound(toIPv4 ip: [UInt8]) -> [String] {
        guard ip.count == 4 else { return [] }
        // /proc/net prints the address as the 32-bit value in host (little-endian) order.
        let hex = ip.reversed().map { String(format: "%02X", $0) }.joined()
        var found: [String] = []
        for table in ["tcp", "udp"] {
            guard let text = try? String(contentsOfFile: "/proc/self/net/\(table)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[9] != "0" else { continue }
                let local = fields[1].split(separator: ":")
                guard local.count == 2, local[0] == hex, let port = UInt16(local[1], radix: 16) else { continue }
                found.append("\(table) \(ip.map(String.init).joined(separator: ".")):\(port) state \(fields[3])")
            }
        }
        return found
    }

    private static func socketInodes(pid: Int32) -> Set<String> {
        let directory = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var inodes = Set<String>()
        for entry in entries {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry),
                  target.hasPrefix("socket:["), target.hasSuffix("]") else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        return inodes
    }

    /// Local ports of the rows of a `/proc/net` table whose inode is one of `inodes` and that `keep` accepts.
    private static func ports(in path: String, inodes: Set<String>, keep: (_ state: String, _ remote: String) -> Bool) -> Set<UInt16> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var ports = Set<UInt16>()
        for line in text.split(separator: "\n").dropFirst() {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, inodes.contains(String(fields[9])), keep(String(fields[3]), String(fields[2])),
                  let portHex = fields[1].split(separator: ":").last, let port = UInt16(portHex, radix: 16)
            else { continue }
            ports.insert(port)
        }
        return ports
    }
}

/// A process did not come to listen as waited for in time, or exited first.
package struct ListeningSocketsTimeout: Error, CustomStringConvertible {
    package let process: String
    package let waitedFor: String
    package let last: ListeningSockets
    package var description: String { "\(process) did not come to listen on \(waitedFor); it holds \(last)" }
}

extension ListeningSockets {
    /// Waits (bounded) until the sockets of process `pid` satisfy `ready`, and returns them; throws naming
    /// `what` was waited for once `timeout` passes or `isRunning` says the process has gone. Polled: a
    /// row of /proc/net can be skipped in one read while other processes open and close sockets.
    package static func wait(pid: Int32, process name: String, for what: String, timeout: Duration = .seconds(15),
                            isRunning: () -> Bool, until ready: (ListeningSockets) -> Bool) async throws -> ListeningSockets {
        let deadline = ContinuousClock.now + timeout
        var last = ListeningSockets.of(pid: pid)
        while !ready(last) {
            guard isRunning(), ContinuousClock.now < deadline else {
                throw ListeningSocketsTimeout(process: name, waitedFor: what, last: last)
            }
            try? await Task.sleep(for: .milliseconds(20))
            last = ListeningSockets.of(pid: pid)
        }
        return last
    }
}
