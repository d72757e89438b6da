"""K agents of one system on loopback: started, joined, fed broadcasts, their deliveries timestamped, stopped.

Both systems are driven through their own programmatic interface, one connection per agent kept open:
ours through the admin API (`POST /v1/broadcast`, deliveries from `--print-messages` on stdout), serf
through its RPC (`event`, deliveries from `stream` of user events). Neither pays for a process start per
broadcast, so the accept rate measured is the system's own.
"""
import http.client
import json
import os
import sys
import subprocess
import threading
import time

import processes
from serf_rpc import SerfRPC, SerfRPCError

# Every payload starts with "KEY-": the key names the broadcast across both systems' delivery records.
KEY_SEPARATOR = b"-"


class Recorder:
    """Deliveries at every receiver, first copies and duplicates, counted as they arrive."""

    def __init__(self):
        self.lock = threading.Lock()
        self.origin = {}        # key -> origin index
        self.first = {}         # (key, receiver) -> monotonic time of the first copy
        self.duplicates = 0
        self.at_origin = 0
        self.unknown = 0

    def expect(self, key: bytes, origin: int):
        with self.lock:
            self.origin[key] = origin

    def delivered(self, key: bytes, receiver: int, now: float):
        with self.lock:
            origin = self.origin.get(key)
            if origin is None:
                self.unknown += 1
            elif origin == receiver:
                self.at_origin += 1      # serf hands the origin its own event; not a delivery
            elif (key, receiver) in self.first:
                self.duplicates += 1
            else:
                self.first[(key, receiver)] = now

    def count(self) -> int:
        with self.lock:
            return len(self.first)


def payload_key(payload: bytes) -> bytes:
    return payload.split(KEY_SEPARATOR, 1)[0]


class Cluster:
    system = "?"

    def __init__(self, k: int, binary: str, log_dir: str, recorder: Recorder):
        self.k = k
        self.binary = binary
        self.log_dir = log_dir
        self.recorder = recorder
        self.senders = []
        self.processes = []
        self.bind_ports = []
        self.stop_event = threading.Event()
        self.threads = []
        os.makedirs(log_dir, exist_ok=True)

    @property
    def pids(self):
        return [p.pid for p in self.processes if p is not None]

    def cpu_seconds(self) -> float:
        return sum(processes.cpu_seconds(pid) for pid in self.pids)

    def counter_bytes(self):
        return None

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in self.processes)

    def _start_all(self, timeout: float) -> bool:
        """Starts agent 0, then the others joining it; an agent that exits at once is started again, at most
        twice. Every agent binds port 0; the ports are read back from the running process."""
        self.launches = [0] * self.k
        for index in range(self.k):
            self.bind_ports.append(0)
            self.processes.append(None)
            if not self._launch_until_ready(index, timeout):
                return False
        return True

    def _launch_until_ready(self, index: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.launches[index] < 3:
            self.launches[index] += 1
            try:
                self._launch(index)
            except RuntimeError as error:
                print(f"{self.system}-{index}: {error}", file=sys.stderr)
                if self.processes[index] is not None:
                    processes.stop(self.processes[index])
                continue
            while time.monotonic() < deadline:
                if self.processes[index].poll() is not None:
                    break
                if self._ready(index):
                    return True
                time.sleep(0.1)
            if time.monotonic() >= deadline:
                return False
        return False

    def wait_members(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            try:
                if all(self.alive_members(i) >= self.k for i in range(self.k)):
                    return True
            except (OSError, ValueError, SerfRPCError, http.client.HTTPException):
                pass
            time.sleep(0.3)
        return False

    def wait_quiet(self, timeout: float) -> float:
        """Waits (bounded) until the system has nothing left to re-send; returns the seconds waited."""
        return 0.0

    def stop(self):
        self.stop_event.set()
        for process in self.processes:
            if process is not None:
                processes.stop(process)
        for thread in self.threads:
            thread.join(timeout=5)

    def _spawn(self, index: int, arguments, stdout):
        log = open(os.path.join(self.log_dir, f"{self.system}-{index}-{self.launches[index]}.log"), "w")
        process = subprocess.Popen([self.binary] + arguments, stdout=stdout, stderr=log, stdin=subprocess.DEVNULL)
        self.processes[index] = process
        return process


class OursCluster(Cluster):
    system = "ours"

    def start(self, timeout: float = 60) -> bool:
        self.admin_ports = [0] * self.k
        if not self._start_all(timeout):
            return False
        self.connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for port in self.admin_ports]
        return self.wait_members(timeout)

    def _launch(self, index: int):
        arguments = ["agent", "--name", f"ours-{index}", "--bind", "127.0.0.1:0",
                     "--admin", "127.0.0.1:0", "--profile", "lan", "--print-messages",
                     "--log-level", "warning"]
        if index > 0:
            arguments += ["--join", f"127.0.0.1:{self.bind_ports[0]}"]
        process = self._spawn(index, arguments, subprocess.PIPE)
        self.bind_ports[index], self.admin_ports[index] = processes.bound_ports(process, other_tcp=1)
        thread = threading.Thread(target=self._read_deliveries, args=(index, process), daemon=True)
        thread.start()
        self.threads.append(thread)

    def _ready(self, index: int) -> bool:
        try:
            self._get(index, "/v1/members")
            return True
        except (OSError, http.client.HTTPException):
            return False

    def _get(self, index, path) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.admin_ports[index], timeout=5)
        try:
            connection.request("GET", path)
            return connection.getresponse().read()
        finally:
            connection.close()

    def _read_deliveries(self, index, process):
        marker = b'"payload":"'
        for line in process.stdout:
            now = time.monotonic()
            start = line.find(marker)
            if start >= 0:
                self.recorder.delivered(payload_key(line[start + len(marker):]), index, now)

    def alive_members(self, index) -> int:
        members = json.loads(self._get(index, "/v1/members"))["members"]
        return sum(1 for m in members if m.get("state") == "alive")

    def send(self, index: int, payload: bytes) -> bool:
        for _attempt in range(2):
            connection = self.connections[index]
            try:
                connection.request("POST", "/v1/broadcast", body=payload)
                response = connection.getresponse()
                response.read()
                return response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()  # reopened by the next request
        return False

    def counter_bytes(self):
        """memberlist_bytes_sent_total summed over transports and agents: the node's own count."""
        total = 0.0
        for index in range(self.k):
            for line in self._get(index, "/metrics").decode().splitlines():
                if line.startswith("memberlist_bytes_sent_total{"):
                    total += float(line.rsplit(" ", 1)[1])
        return total


class SerfCluster(Cluster):
    system = "serf"
    EVENT_NAME = "b"

    def start(self, timeout: float = 60) -> bool:
        self.rpc_ports = [0] * self.k
        if not self._start_all(timeout):
            return False
        for index in range(self.k):
            self.senders.append(SerfRPC(f"127.0.0.1:{self.rpc_ports[index]}"))
            streamer = SerfRPC(f"127.0.0.1:{self.rpc_ports[index]}")
            thread = threading.Thread(target=streamer.stream_user_events, daemon=True,
                                      args=(lambda name, payload, now, i=index:
                                            self.recorder.delivered(payload_key(payload), i, now),
                                            self.stop_event))
            thread.start()
            self.threads.append(thread)
        return self.wait_members(timeout)

    def _launch(self, index: int):
        # Go's flag parsing: every flag before any positional argument. memberlist advertises the port it
        # bound for port 0.
        arguments = ["agent", f"-node=serf-{index}", "-bind=127.0.0.1:0", "-rpc-addr=127.0.0.1:0",
                     "-profile=lan", "-log-level=warn"]
        if index > 0:
            arguments.append(f"-join=127.0.0.1:{self.bind_ports[0]}")
        process = self._spawn(index, arguments, subprocess.DEVNULL)
        self.bind_ports[index], self.rpc_ports[index] = processes.bound_ports(process, other_tcp=1)

    def _ready(self, index: int) -> bool:
        try:
            SerfRPC(f"127.0.0.1:{self.rpc_ports[index]}", timeout=2).close()
            return True
        except (OSError, SerfRPCError):
            return False

    def alive_members(self, index) -> int:
        return sum(1 for m in self.senders[index].members() if m.get("Status") == "alive")

    def send(self, index: int, payload: bytes) -> bool:
        try:
            self.senders[index].event(self.EVENT_NAME, payload)
            return True
        except (OSError, SerfRPCError):
            return False

    def wait_quiet(self, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if all(sender.queued_events() == 0 for sender in self.senders):
                    break
            except (OSError, SerfRPCError):
                break
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self):
        for sender in getattr(self, "senders", []):
            sender.close()
        super().stop()
