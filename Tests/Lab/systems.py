"""The systems the lab runs: gossip-node agents, or serf agents beside them for the membership figures.

Each node i listens on 10.231.0.i:7946 in its own namespace. gossip-node serves its admin API on
10.231.0.i:7980, where the lab's Prometheus scrapes it (write routes need the lab's token); serf serves its RPC
on 127.0.0.1 inside the namespace. `states(i)` is what node i thinks of every member; gossip-node agents also
broadcast and print every delivery (`--print-messages`), which `deliveries(i)` reads back from their logs.
"""
import json
import subprocess

from netlab import SEEDS_NAME, Lab

PORT = 7946
ADMIN_PORT = 7980
ADMIN_TOKEN = "lab-token"
RPC_PORT = 7373
# Messages stay cached for 5 minutes, longer than any split the lab makes: what was broadcast during a split
# reaches the far side after the heal only while it is still cached (docs/PROTOCOL.md, anti-entropy), and the
# default 60 s is shorter than the 90 s splits. The simulator's partition-heal keeps them 10 minutes likewise.
GOSSIP_ENVIRONMENT = {"GOSSIP_PLUMTREE_MESSAGE_CACHE_TTL": "300s"}


class GossipNodes:
    name = "gossip-node"
    delivers = True

    def __init__(self, lab, binary):
        self.lab, self.binary = lab, binary
        self.environment = dict(GOSSIP_ENVIRONMENT)

    def configure(self, settings):
        """Node settings by key (`plumtree.message_cache_ttl`), for the launches that follow."""
        self.environment.update({"GOSSIP_" + key.upper().replace(".", "_"): value for key, value in settings.items()})

    def start(self, i, join=1):
        argv = [self.binary, "agent", "--name", Lab.node_name(i), "--bind", f"{Lab.address(i)}:{PORT}",
                "--admin", f"{Lab.address(i)}:{ADMIN_PORT}", "--admin-token", ADMIN_TOKEN, "--profile", "lan", "--log-level", "info", "--print-messages"]
        if join:
            # By name: seeds.lab lists every node's address, as a headless service does; the node leaves its
            # own out, and nodes not started yet fail their push/pull while the others take it in.
            argv += ["--join", f"{SEEDS_NAME}:{PORT}"]
        self.lab.start(i, argv, self.environment)

    def states(self, i):
        """{name: state} as node i sees the cluster (alive, suspect, dead, left), or None when it does not answer."""
        try:
            result = self.lab.run_in(i, ["curl", "-s", "--max-time", "2", f"http://{Lab.address(i)}:{ADMIN_PORT}/v1/members"])
            return {m["name"]: m["state"] for m in json.loads(result.stdout)["members"]}
        except (subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return None

    def health_reasons(self, i):
        """The reason codes node i's /health gives now (empty when healthy or when it does not answer)."""
        try:
            result = self.lab.run_in(i, ["curl", "-s", "--max-time", "2", f"http://{Lab.address(i)}:{ADMIN_PORT}/health"])
            return [reason["code"] for reason in json.loads(result.stdout).get("reasons", [])]
        except (subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return []

    def tags(self, i):
        """{name: tags} as node i sees the cluster; empty when it does not answer."""
        try:
            result = self.lab.run_in(i, ["curl", "-s", "--max-time", "2", f"http://{Lab.address(i)}:{ADMIN_PORT}/v1/members"])
            return {m["name"]: m["tags"] for m in json.loads(result.stdout)["members"]}
        except (subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return {}

    def broadcast(self, i, payload):
        """Broadcasts from node i; returns the message id, or None when the node refused or did not answer."""
        try:
            result = self.lab.run_in(i, ["curl", "-s", "--max-time", "5", "-X", "POST", "--data-binary", "@-",
                                         "-H", f"Authorization: Bearer {ADMIN_TOKEN}",
                                         f"http://{Lab.address(i)}:{ADMIN_PORT}/v1/broadcast"], timeout=10, stdin=payload)
            return json.loads(result.stdout)["id"]
        except (subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return None

    def deliveries(self, i):
        """Every delivery node i printed in its current launch, as (id, payload)."""
        found = []
        try:
            with open(self.lab.log_path(i)) as log:
                for line in log:
                    if line.startswith('{"id":'):
                        try:
                            message = json.loads(line)
                            found.append((message["id"], message.get("payload")))
                        except ValueError:
                            continue
        except OSError:
            pass
        return found

    def admin_target(self, i):
        """Where the lab's Prometheus scrapes node i."""
        return f"{Lab.address(i)}:{ADMIN_PORT}"

    def leave(self, i):
        self.lab.run_in(i, [self.binary, "leave", "--admin", f"{Lab.address(i)}:{ADMIN_PORT}", "--token", ADMIN_TOKEN], timeout=15)


class SerfAgents:
    name = "serf"
    delivers = False

    def __init__(self, lab, binary):
        self.lab, self.binary = lab, binary

    def start(self, i, join=1):
        argv = [self.binary, "agent", f"-node={Lab.node_name(i)}", f"-bind={Lab.address(i)}:{PORT}", f"-rpc-addr=127.0.0.1:{RPC_PORT}",
                "-profile=lan"]
        if join and join != i:
            argv.append(f"-join={Lab.address(join)}:{PORT}")
        self.lab.start(i, argv)

    def states(self, i):
        """{name: state} in gossip-node's words: serf's failed is dead."""
        try:
            result = self.lab.run_in(i, [self.binary, "members", f"-rpc-addr=127.0.0.1:{RPC_PORT}", "-format=json"])
            words = {"alive": "alive", "failed": "dead", "left": "left", "leaving": "alive"}
            return {m["name"]: words.get(m["status"], m["status"]) for m in json.loads(result.stdout)["members"]}
        except (subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
            return None

    def leave(self, i):
        self.lab.run_in(i, [self.binary, "leave", f"-rpc-addr=127.0.0.1:{RPC_PORT}"], timeout=15)
