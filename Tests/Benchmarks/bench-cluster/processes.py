"""The ports a process bound, CPU time of a process, and stopping the processes the harness started."""
import os
import signal
import subprocess
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def listening_ports(pid: int):
    """(TCP ports in LISTEN, bound unconnected UDP ports) of one process, read from /proc: how the harness
    learns the ports an agent bound as port 0."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    except OSError:
        return set(), set()

    def ports(table, keep):
        found = set()
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            return found
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[9] in inodes and keep(fields[3], fields[2]):
                found.add(int(fields[1].rsplit(":", 1)[1], 16))
        return found

    tcp = ports("tcp", lambda state, _: state == "0A") | ports("tcp6", lambda state, _: state == "0A")
    udp = ports("udp", lambda _, remote: remote.endswith(":0000")) | ports("udp6", lambda _, remote: remote.endswith(":0000"))
    return tcp, udp


def bound_ports(process: subprocess.Popen, other_tcp: int, timeout: float = 30.0):
    """Waits (bounded) until `process`, started on port 0, listens on one port with both TCP and UDP (the
    memberlist port) and on `other_tcp` more TCP ports (admin or RPC); returns (memberlist port, the other
    TCP port or None). Raises naming what it waited for when the process exits or the time is up."""
    deadline = time.monotonic() + timeout
    tcp, udp = set(), set()
    while time.monotonic() < deadline and process.poll() is None:
        tcp, udp = listening_ports(process.pid)
        both = tcp & udp
        if len(both) == 1 and len(tcp - udp) == other_tcp:
            others = sorted(tcp - udp)
            return next(iter(both)), (others[0] if others else None)
        time.sleep(0.05)
    raise RuntimeError(f"pid {process.pid} did not come to listen on one TCP+UDP port and {other_tcp} other "
                       f"TCP port(s) within {timeout} s (exit {process.poll()}; holds tcp {sorted(tcp)}, udp {sorted(udp)})")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: field 3 is index 0, so utime (14) and stime (15) are indices 11 and 12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM by the process's own PID, then SIGKILL if it overstays."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
