"""Network namespaces on one bridge, under names of the run's own, and the faults the kernel injects.

Every node gets a namespace with one veth to a bridge in a hub namespace; addresses live on those veths only,
so nothing the run does touches the host's network. Partitions and loss are iptables rules in the receiving
node's namespace (this kernel has no netem, so latency stays the simulator's). Processes are started by path
(`ip netns exec` execs the program itself, so the PID is the program's) and stopped by their own PIDs.
"""
import os
import shutil
import signal
import subprocess
import time

SUBNET = "10.231.0"
HUB_HOST = 254
# The name every node's namespace resolves to all the lab's addresses, as a headless service would: agents
# join through it (`--join seeds.lab:7946`), so every scenario exercises seeds given by name.
SEEDS_NAME = "seeds.lab"


def sh(*args, check=True):
    result = subprocess.run(args, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


class Lab:
    """N namespaces on one bridge; node i (1-based) is named node-(i-1), as the simulator names it, and has
    address 10.231.0.i. The hub namespace itself has 10.231.0.254 on the bridge, for Prometheus."""

    def __init__(self, count, logs):
        Lab.made += 1
        self.tag = f"gl{os.getpid() % 100000}x{Lab.made}"
        self.hub = f"{self.tag}hub"
        self.count = count
        self.logs = logs
        self.namespaces = []
        self.processes = {}
        self.helpers = []
        self.launches = {}
        try:
            sh("ip", "netns", "add", self.hub)
            sh("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge")
            sh("ip", "-n", self.hub, "link", "set", "br0", "up")
            sh("ip", "-n", self.hub, "addr", "add", f"{SUBNET}.{HUB_HOST}/24", "dev", "br0")
            sh("ip", "-n", self.hub, "link", "set", "lo", "up")
            for i in range(1, count + 1):
                ns = f"{self.tag}n{i}"
                sh("ip", "netns", "add", ns)
                self.namespaces.append(ns)
                inner, outer = f"{self.tag}v{i}", f"{self.tag}h{i}"
                sh("ip", "link", "add", inner, "type", "veth", "peer", "name", outer)
                sh("ip", "link", "set", inner, "netns", ns)
                sh("ip", "link", "set", outer, "netns", self.hub)
                sh("ip", "-n", self.hub, "link", "set", outer, "master", "br0")
                sh("ip", "-n", self.hub, "link", "set", outer, "up")
                sh("ip", "-n", ns, "addr", "add", f"{self.address(i)}/24", "dev", inner)
                sh("ip", "-n", ns, "link", "set", inner, "up")
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            self.write_hosts()
        except Exception:
            self.close()
            raise

    def write_hosts(self):
        """Names inside the lab: `ip netns exec` mounts /etc/netns/NS/hosts over /etc/hosts, so each node
        resolves `node-K.lab` and `seeds.lab` (every node's address) without touching the host's files."""
        lines = ["127.0.0.1 localhost", "::1 localhost"]
        lines += [f"{self.address(i)} {self.node_name(i)}.lab {SEEDS_NAME}" for i in range(1, self.count + 1)]
        for ns in self.namespaces:
            os.makedirs(f"/etc/netns/{ns}", exist_ok=True)
            with open(f"/etc/netns/{ns}/hosts", "w") as hosts:
                hosts.write("\n".join(lines) + "\n")

    made = 0  # labs made by this process, so that labs run side by side get names of their own

    @staticmethod
    def address(i):
        return f"{SUBNET}.{i}"

    @staticmethod
    def node_name(i):
        return f"node-{i - 1}"

    @staticmethod
    def node_index(name):
        return int(name.split("-")[1]) + 1

    def namespace(self, i):
        return self.namespaces[i - 1]

    def log_path(self, i, launch=None):
        return os.path.join(self.logs, f"node{i}-{self.launches.get(i, 1) if launch is None else launch}.log")

    def start(self, i, argv, env=None):
        """Starts node i's program (a new launch after a kill), with `env` added to the environment; its output
        goes to a log of this launch."""
        self.launches[i] = self.launches.get(i, 0) + 1
        log = open(self.log_path(i), "w")
        process = subprocess.Popen(["ip", "netns", "exec", self.namespace(i)] + argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=dict(os.environ, SWIFT_BACKTRACE="enable=no", **(env or {})))
        self.processes[i] = process

    def run_in(self, i, argv, timeout=5, stdin=None):
        """Runs a command in node i's namespace (i = 0: the hub's)."""
        namespace = self.hub if i == 0 else self.namespace(i)
        return subprocess.run(["ip", "netns", "exec", namespace] + argv, capture_output=True, text=True,
                              timeout=timeout, input=stdin)

    def start_in_hub(self, key, argv):
        """Starts a helper (Prometheus) in the hub namespace, on the bridge beside every node; stopped by close."""
        log = open(os.path.join(self.logs, f"{key}.log"), "w")
        self.helpers.append(subprocess.Popen(["ip", "netns", "exec", self.hub] + argv, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL))

    def running(self, i):
        process = self.processes.get(i)
        return process is not None and process.poll() is None

    # Faults.

    def partition(self, groups, one_way=False):
        """No group hears another. One-way: only the first group is deaf to the others; they still hear it."""
        deaf = groups[:1] if one_way else groups
        for group in deaf:
            for i in group:
                for other in range(1, self.count + 1):
                    if other not in group:
                        sh("ip", "netns", "exec", self.namespace(i), "iptables", "-A", "INPUT", "-s", self.address(other), "-j", "DROP")

    def loss(self, probability, nodes=None):
        """Every node in `nodes` (all by default) drops that share of what it receives from the other nodes.
        What the hub sends (Prometheus' scrapes) and what a node sends itself (the lab's admin calls) pass: the
        simulator's sampler reads its nodes without loss too."""
        for i in nodes or range(1, self.count + 1):
            sh("ip", "netns", "exec", self.namespace(i), "iptables", "-A", "INPUT", "-s", f"{SUBNET}.{HUB_HOST}", "-j", "ACCEPT")
            sh("ip", "netns", "exec", self.namespace(i), "iptables", "-A", "INPUT", "!", "-i", "lo", "-s", f"{SUBNET}.0/24",
               "-m", "statistic", "--mode", "random", "--probability", str(probability), "-j", "DROP")

    def heal(self):
        """Lifts every partition and every loss."""
        for ns in self.namespaces:
            sh("ip", "netns", "exec", ns, "iptables", "-F", "INPUT")

    def pause(self, i):
        self.processes[i].send_signal(signal.SIGSTOP)

    def resume(self, i):
        self.processes[i].send_signal(signal.SIGCONT)

    def kill(self, i):
        """kill -9 by the process's own PID."""
        process = self.processes[i]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def close(self):
        everything = list(self.processes.values()) + self.helpers
        for process in everything:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for process in everything:
            try:
                process.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for ns in self.namespaces + [self.hub]:
            sh("ip", "netns", "del", ns, check=False)
            shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)
