"""Bytes on the loopback wire between a cluster's agents, from a tcpdump capture of their own ports.

Counted: the UDP payload of every datagram sent from an agent port, and the TCP payload of every segment
to or from an agent port (memberlist's streams: push/pull, and messages too large for a datagram). Not
counted: IP/UDP/TCP headers (memberlist's own byte counters leave them out too), the RPC and admin ports.
The capture keeps only headers (snap length 128), so it costs little; the kernel's drop count is reported.
"""
import os
import signal
import struct
import subprocess
import time


class WireCapture:
    def __init__(self, ports, path: str, log_path: str):
        self.ports = sorted(ports)
        self.path = path
        self.log_path = log_path
        self.process = None

    def start(self):
        port_terms = " or ".join(f"port {p}" for p in self.ports)
        udp_terms = " or ".join(f"src port {p}" for p in self.ports)
        expression = f"(udp and ({udp_terms})) or (tcp and ({port_terms}))"
        self.log = open(self.log_path, "w")
        # -Z root: keep writing where we can (tcpdump would otherwise drop to its own user).
        self.process = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-n", "-s", "128", "-B", "16384", "-U", "-Z", "root", "-w", self.path,
             expression], stdout=self.log, stderr=self.log)
        # tcpdump prints "listening on lo" once the filter is in place.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with open(self.log_path) as f:
                if "listening on" in f.read():
                    return
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"tcpdump did not start; see {self.log_path}")

    def stop(self) -> dict:
        """Stops tcpdump (its own PID) and returns the capture's own drop figures."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()
        dropped = 0
        with open(self.log_path) as f:
            for line in f:
                if "dropped by kernel" in line:
                    dropped = int(line.split()[0])
        return {"kernel_dropped": dropped}


def window_bytes(path: str, ports, start: float, end: float, clock_offset: float) -> dict:
    """Sums payload bytes of captured packets whose time falls in [start, end] of time.monotonic().

    clock_offset = wall clock - monotonic clock, sampled by the harness, maps capture stamps (wall clock)
    onto the harness's monotonic timeline.
    """
    ports = set(ports)
    totals = {"udp_bytes": 0, "tcp_bytes": 0, "udp_packets": 0, "tcp_segments": 0}
    if not os.path.exists(path):
        return totals
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return totals
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nanos = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_header = {1: 14, 113: 16, 0: 4, 12: 0, 101: 0}.get(linktype, 14)
    offset = 24
    lo, hi = start + clock_offset, end + clock_offset
    while offset + 16 <= len(data):
        seconds, fraction, captured, _original = struct.unpack(endian + "IIII", data[offset:offset + 16])
        packet = data[offset + 16: offset + 16 + captured]
        offset += 16 + captured
        stamp = seconds + fraction / (1e9 if nanos else 1e6)
        if stamp < lo or stamp > hi:
            continue
        ip = packet[link_header:]
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        header_length = (ip[0] & 0x0F) * 4
        total_length = struct.unpack(">H", ip[2:4])[0]
        protocol = ip[9]
        transport = ip[header_length:]
        if len(transport) < 4:
            continue
        source, destination = struct.unpack(">HH", transport[:4])
        if protocol == 17 and source in ports:
            totals["udp_bytes"] += total_length - header_length - 8
            totals["udp_packets"] += 1
        elif protocol == 6 and (source in ports or destination in ports) and len(transport) >= 13:
            payload = total_length - header_length - (transport[12] >> 4) * 4
            if payload > 0:
                totals["tcp_bytes"] += payload
                totals["tcp_segments"] += 1
    return totals
