import Foundation

/// The ports a child process listens on, read back from the kernel (`/proc/<pid>/fd` and `/proc/<pid>/net/*`).
///
/// `gossip-node monitor` starts every child on port 0 and learns what the kernel chose from here: a port
/// probed free and bound later could be taken in between, and a fixed port (9101, 9090) may be busy.
/// The same reading as the tests' ListeningSockets (Tests/GossipTestSupport), which the binary cannot import.
struct ListeningPorts: Equatable, CustomStringConvertible {
    /// TCP sockets in LISTEN.
    var tcp: Set<UInt16> = []
    /// Bound, unconnected UDP sockets.
    var udp: Set<UInt16> = []

    /// memberlist's port: the one number listened on with both TCP and UDP; nil unless exactly one is.
    var membershipPort: UInt16? {
        let both = tcp.intersection(udp)
        return both.count == 1 ? both.first : nil
    }

    /// TCP listeners without a UDP twin: an admin or web server.
    var tcpOnly: Set<UInt16> { tcp.subtracting(udp) }

    var description: String { "tcp \(tcp.sorted()), udp \(udp.sorted())" }

    /// What `pid` holds now; empty when the process is gone or has bound nothing yet.
    static func of(pid: Int32) -> ListeningPorts {
        let inodes = socketInodes(pid: pid)
        guard !inodes.isEmpty else { return ListeningPorts() }
        var ports = ListeningPorts()
        for table in ["tcp", "tcp6"] {
            // 0A is TCP_LISTEN.
            ports.tcp.formUnion(rows(in: "/proc/\(pid)/net/\(table)", inodes: inodes) { state, _ in state == "0A" })
        }
        for table in ["udp", "udp6"] {
            // A UDP socket that serves is unconnected: its remote port is 0.
            ports.udp.formUnion(rows(in: "/proc/\(pid)/net/\(table)", inodes: inodes) { _, remote in remote.hasSuffix(":0000") })
        }
        return ports
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
    private static func rows(in path: String, inodes: Set<String>, keep: (_ state: String, _ remote: String) -> Bool) -> Set<UInt16> {
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
