#!/usr/bin/env python3
"""The lab: real processes, each in a network namespace of its own, faults injected by the kernel.

Every node gets a namespace with one veth to a bridge in a hub namespace of the run's own; addresses live on
those veths only, so nothing the run does touches the host's network. Partitions are iptables rules inside
each node's namespace. Everything is named after the run (its PID) and removed at the end, on failure too.
Processes are started by path and stopped by their own PIDs; their logs are kept when a run fails.

    python3 Tests/Lab/lab.py heal --system gossip-node --binary .build/debug/gossip-node
    python3 Tests/Lab/lab.py heal --system serf

Scenario `heal`: six nodes (lan profile), split 3/3 for longer than failure detection plus reaping, then
healed. It measures when each side saw the other gone and how long after the heal every node saw all six
alive again, and fails if that takes longer than --heal-limit seconds. Needs root (ip netns, iptables).
Standard library only.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SUBNET = "10.231.0"
PORT = 7946
ADMIN_PORT = 7980
RPC_PORT = 7373


def sh(*args, check=True):
    result = subprocess.run(args, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


class Lab:
    """N namespaces on one bridge, under names of this run's own."""

    def __init__(self, count, logs):
        self.tag = f"gl{os.getpid() % 100000}"
        self.hub = f"{self.tag}hub"
        self.count = count
        self.logs = logs
        self.namespaces = []
        self.processes = {}
        sh("ip", "netns", "add", self.hub)
        sh("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.hub, "link", "set", "br0", "up")
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

    @staticmethod
    def address(i):
        return f"{SUBNET}.{i}"

    def namespace(self, i):
        return self.namespaces[i - 1]

    def start(self, i, argv):
        log = open(os.path.join(self.logs, f"node{i}.log"), "w")
        process = subprocess.Popen(["ip", "netns", "exec", self.namespace(i)] + argv, stdout=log, stderr=subprocess.STDOUT,
                                   env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
        self.processes[i] = process

    def run_in(self, i, argv, timeout=5):
        return subprocess.run(["ip", "netns", "exec", self.namespace(i)] + argv, capture_output=True, text=True,
                              timeout=timeout)

    def partition(self, groups):
        """No group hears another: each node drops what comes from outside its group."""
        for group in groups:
            for i in group:
                for other in range(1, self.count + 1):
                    if other not in group:
                        sh("ip", "netns", "exec", self.namespace(i), "iptables", "-A", "INPUT", "-s", self.address(other), "-j", "DROP")

    def heal(self):
        for ns in self.namespaces:
            sh("ip", "netns", "exec", ns, "iptables", "-F", "INPUT")

    def close(self):
        for i, process in self.processes.items():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for ns in self.namespaces + [self.hub]:
            sh("ip", "netns", "del", ns, check=False)


class GossipNodes:
    name = "gossip-node"

    def __init__(self, lab, binary):
        self.lab, self.binary = lab, binary

    def start(self, i):
        argv = [self.binary, "agent", "--name", f"n{i}", "--bind", f"{Lab.address(i)}:{PORT}",
                "--admin", f"127.0.0.1:{ADMIN_PORT}", "--profile", "lan", "--log-level", "info"]
        if i > 1:
            argv += ["--join", f"{Lab.address(1)}:{PORT}"]
        self.lab.start(i, argv)

    def alive(self, i):
        """Names node i sees alive, or None when it does not answer."""
        try:
            result = self.lab.run_in(i, ["curl", "-s", "--max-time", "2", f"http://127.0.0.1:{ADMIN_PORT}/v1/members"])
            members = json.loads(result.stdout)["members"]
        except (subprocess.TimeoutExpired, ValueError, KeyError):
            return None
        return sorted(m["name"] for m in members if m["state"] in ("alive", "suspect"))


class SerfAgents:
    name = "serf"

    def __init__(self, lab, binary):
        self.lab, self.binary = lab, binary

    def start(self, i):
        argv = [self.binary, "agent", f"-node=n{i}", f"-bind={Lab.address(i)}:{PORT}", f"-rpc-addr=127.0.0.1:{RPC_PORT}",
                "-profile=lan"]
        if i > 1:
            argv.append(f"-join={Lab.address(1)}:{PORT}")
        self.lab.start(i, argv)

    def alive(self, i):
        try:
            result = self.lab.run_in(i, [self.binary, "members", f"-rpc-addr=127.0.0.1:{RPC_PORT}", "-format=json"])
            members = json.loads(result.stdout)["members"]
        except (subprocess.TimeoutExpired, ValueError, KeyError):
            return None
        return sorted(m["name"] for m in members if m["status"] == "alive")


def wait_until(what, condition, timeout, poll=0.5):
    """Polls `condition` until true; returns the seconds it took, or None after `timeout` (says what it waited for)."""
    started = time.time()
    while time.time() - started < timeout:
        if condition():
            return time.time() - started
        time.sleep(poll)
    print(f"  gave up after {timeout} s waiting for {what}")
    return None


def heal_scenario(system, nodes, split_seconds, heal_limit):
    everyone = [f"n{i}" for i in range(1, nodes + 1)]
    left, right = list(range(1, nodes // 2 + 1)), list(range(nodes // 2 + 1, nodes + 1))
    for i in range(1, nodes + 1):
        system.start(i)
        time.sleep(0.3)

    def all_see(names):
        return all(system.alive(i) == names for i in range(1, nodes + 1))

    formed = wait_until("all nodes to see all alive", lambda: all_see(everyone), 60)
    if formed is None:
        return {"passed": False, "failure": "the cluster never formed"}
    print(f"  formed in {formed:.1f} s")
    system.lab.partition([left, right])
    split_at = time.time()
    names_left, names_right = [f"n{i}" for i in left], [f"n{i}" for i in right]
    detected = wait_until("each side to see only itself",
                          lambda: all(system.alive(i) == names_left for i in left) and all(system.alive(i) == names_right for i in right),
                          split_seconds)
    print(f"  each side saw the other gone after {detected if detected is None else round(detected, 1)} s")
    time.sleep(max(0, split_seconds - (time.time() - split_at)))
    system.lab.heal()
    healed = wait_until("every node to see all alive after the heal", lambda: all_see(everyone), heal_limit + 30)
    print(f"  healed {healed if healed is None else round(healed, 1)} s after the rules were flushed")
    result = {"system": system.name, "nodes": nodes, "split_seconds": split_seconds,
              "detected_seconds": detected, "healed_seconds": healed}
    result["passed"] = detected is not None and healed is not None and healed <= heal_limit
    if not result["passed"]:
        result["failure"] = "the split was never detected" if detected is None else f"not healed within {heal_limit} s"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["heal"])
    parser.add_argument("--system", choices=["gossip-node", "serf"], default="gossip-node")
    parser.add_argument("--binary", help="the program to run (default: .build/debug/gossip-node, or serf from PATH)")
    parser.add_argument("--nodes", type=int, default=6)
    parser.add_argument("--split-seconds", type=int, default=90)
    parser.add_argument("--heal-limit", type=float, default=17, help="fail when healing takes longer (serf: 17 s measured)")
    parser.add_argument("--json", help="write the result to this file")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the lab needs root (ip netns, iptables)")
    binary = args.binary or (".build/debug/gossip-node" if args.system == "gossip-node" else shutil.which("serf"))
    if not binary or not os.path.exists(binary):
        sys.exit(f"no {args.system} binary at {binary}: build it first")
    binary = os.path.abspath(binary)
    logs = tempfile.mkdtemp(prefix=f"lab-{args.system}-")
    lab = Lab(args.nodes, logs)
    result = {"passed": False, "failure": "interrupted"}
    try:
        system = GossipNodes(lab, binary) if args.system == "gossip-node" else SerfAgents(lab, binary)
        print(f"lab {args.scenario}: {args.nodes} {args.system} nodes, split {args.split_seconds} s, logs in {logs}")
        result = heal_scenario(system, args.nodes, args.split_seconds, args.heal_limit)
    finally:
        lab.close()
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    if result["passed"]:
        shutil.rmtree(logs, ignore_errors=True)
        print("PASS")
    else:
        print(f"FAIL: {result['failure']} (logs kept in {logs})")
        sys.exit(1)


if __name__ == "__main__":
    main()
