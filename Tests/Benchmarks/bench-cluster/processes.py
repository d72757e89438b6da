"""Free loopback ports, CPU time of a process, and stopping the processes the harness started."""
import os
import signal
import socket
import subprocess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


_handed_out = set()


def free_port(udp_too: bool = False) -> int:
    """A port the OS says is free on 127.0.0.1 (TCP, and UDP as well when asked: memberlist binds both).

    Never the same port twice in one run: an agent may not have bound the last one yet. Another process can
    still take a port between this check and the agent's bind; the clusters restart such an agent.
    """
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        if port in _handed_out:
            tcp.close()
            continue
        try:
            if udp_too:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                finally:
                    udp.close()
            _handed_out.add(port)
            return port
        finally:
            tcp.close()
    raise RuntimeError("no free loopback port found in 50 tries")


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
