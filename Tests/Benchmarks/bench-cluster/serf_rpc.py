"""A minimal client of serf's msgpack RPC (the protocol `serf event` and `serf members` use).

Two uses: sending user events without starting a `serf event` process per event (so serf's accept rate is
serf's, not process start-up's), and the `stream` command, which hands every user event to the client the
moment the agent delivers it, so the harness timestamps deliveries at each receiver.
"""
import socket
import time

import msgpack_lite


class SerfRPCError(Exception):
    pass


class SerfRPC:
    def __init__(self, address: str, timeout: float = 10.0):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.seq = 0
        self.request("handshake", {"Version": 1})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _read_value(self):
        while True:
            try:
                value, end = msgpack_lite.decode(self.buffer)
                del self.buffer[:end]
                return value
            except msgpack_lite.NeedMore:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SerfRPCError("serf closed the RPC connection")
                self.buffer += chunk

    def _read_pair(self):
        # Header and body are taken from the buffer together, so a timeout between them loses nothing.
        while True:
            try:
                header, middle = msgpack_lite.decode(self.buffer)
                body, end = msgpack_lite.decode(self.buffer, middle)
                del self.buffer[:end]
                return header, body
            except msgpack_lite.NeedMore:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SerfRPCError("serf closed the RPC connection")
                self.buffer += chunk

    def request(self, command: str, body=None, has_reply_body: bool = False):
        """Sends one command and waits for its reply header (and body, for commands that have one)."""
        seq = self.seq
        self.seq += 1
        message = msgpack_lite.encode({"Command": command, "Seq": seq})
        if body is not None:
            message += msgpack_lite.encode(body)
        self.sock.sendall(message)
        header = self._read_value()
        if not isinstance(header, dict) or header.get("Seq") != seq:
            raise SerfRPCError(f"unexpected reply to {command}: {header!r}")
        if header.get("Error"):
            raise SerfRPCError(f"{command}: {header['Error']}")
        return self._read_value() if has_reply_body else None

    def event(self, name: str, payload: bytes, coalesce: bool = False):
        # Coalescing would let receivers fold events of one name into the latest: off, every event counts.
        self.request("event", {"Name": name, "Payload": payload, "Coalesce": coalesce})

    def members(self):
        return self.request("members", has_reply_body=True).get("Members", [])

    def queued_events(self) -> int:
        """User events still in this agent's broadcast queue (serf keeps re-gossiping them until spent)."""
        stats = self.request("stats", has_reply_body=True)
        return int(stats.get("serf", {}).get("event_queue", "0"))

    def stream_user_events(self, on_event, stop):
        """Streams user events until `stop` is set or the agent goes away; calls on_event(name, payload, t)."""
        self.request("stream", {"Type": "user"})
        self.sock.settimeout(0.5)
        while not stop.is_set():
            try:
                header, body = self._read_pair()
            except socket.timeout:
                continue
            except (OSError, SerfRPCError):
                return
            now = time.monotonic()
            if isinstance(body, dict) and body.get("Event") == "user":
                payload = body.get("Payload", b"")
                on_event(body.get("Name"), payload if isinstance(payload, bytes) else payload.encode(), now)
