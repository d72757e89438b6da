"""The lab's scenarios, mirroring the simulator's catalogue. Each forms a cluster, injects one fault with the
kernel, states what it expects, and returns its figures and whether the expectations held.

Every scenario of a system that delivers (gossip-node) also checks delivery: every broadcast from a node
still in the launch it broadcast from reached every node running since, exactly once. Every scenario ends
with membership converged: every running node sees every running node alive.
"""
import sys
import time

from alerts import LabPrometheus, PlanCheck, simulator_plan
from netlab import Lab

DEAD = ("dead", "left")


def wait_until(what, condition, timeout, poll=0.5):
    """Polls `condition` until true; returns the seconds it took, or None after `timeout`, saying what it
    waited for."""
    started = time.time()
    while time.time() - started < timeout:
        if condition():
            return time.time() - started
        time.sleep(poll)
    sys.stdout.write(f"  gave up after {timeout} s waiting for {what}\n")  # one write: labs run side by side
    return None


def rounded(value):
    return None if value is None else round(value, 1)


class Run:
    """One cluster of `count` nodes of `system`, and what it was asked to deliver."""

    def __init__(self, system, count, tools):
        self.system, self.count = system, count
        self.tools = tools  # plumtree_sim: the simulator's CLI; monitoring: the repository's Prometheus rules
        self.lab = system.lab
        self.everyone = list(range(1, count + 1))
        self.life_start = {}
        self.broadcasts = []  # (id, origin, launch of the origin, time)
        self.failures = []
        self.figures = {}

    @staticmethod
    def name(i):
        return Lab.node_name(i)

    def start(self, i, join=1):
        self.system.start(i, join=join)
        self.life_start[i] = time.time()

    def form(self, timeout=60):
        for i in self.everyone:
            self.start(i)
            time.sleep(0.3)
        formed = wait_until("every node to see every node alive", lambda: self.converged(self.everyone), timeout)
        if formed is None:
            raise ScenarioFailed("the cluster never formed")
        self.figures["formed_seconds"] = rounded(formed)

    def running(self):
        return [i for i in self.everyone if self.lab.running(i)]

    def alive_seen_by(self, i):
        states = self.system.states(i)
        return None if states is None else sorted(n for n, s in states.items() if s in ("alive", "suspect"))

    def converged(self, nodes):
        """Every node of `nodes` sees exactly `nodes` alive."""
        names = sorted(self.name(i) for i in nodes)
        return all(self.alive_seen_by(i) == names for i in nodes)

    def each_side_alone(self, groups):
        return all(self.alive_seen_by(i) == sorted(self.name(j) for j in group) for group in groups for i in group)

    def dead_in_views(self, observers, excluding=()):
        """(observer, member) pairs where an observer holds a member dead or left, members in `excluding` aside."""
        found = set()
        for i in observers:
            for name, state in (self.system.states(i) or {}).items():
                if state in DEAD and name not in excluding:
                    found.add((self.name(i), name))
        return found

    def broadcast(self, i, label):
        if not self.system.delivers:
            return
        message_id = self.system.broadcast(i, f"{label} from {self.name(i)} at {time.time():.3f}")
        if message_id is None:
            self.failures.append(f"{self.name(i)} refused or did not answer the broadcast '{label}'")
            return
        self.broadcasts.append((message_id, i, self.lab.launches.get(i), time.time()))

    def keep_broadcasting(self, until, origins, every=5):
        """One broadcast every `every` seconds, in turn from `origins`, until the given time."""
        n = 0
        while time.time() < until:
            self.broadcast(origins[n % len(origins)], f"steady #{n}")
            n += 1
            time.sleep(max(0, min(every, until - time.time())))

    def required_deliveries(self, excluding=(), before=None):
        """(message, node) pairs that must be delivered: every broadcast (made before `before`, if given) from a
        node still in the launch it broadcast from, to every running node but `excluding` that was up then."""
        pairs = []
        for message_id, origin, launch, at in self.broadcasts:
            if not self.lab.running(origin) or self.lab.launches.get(origin) != launch or (before and at >= before):
                continue
            for i in self.running():
                if i != origin and i not in excluding and self.life_start[i] <= at:
                    pairs.append((message_id, i))
        return pairs

    def missing_deliveries(self, excluding=(), before=None):
        delivered = {i: {m for m, _ in self.system.deliveries(i)} for i in self.running()}
        return [(m, i) for m, i in self.required_deliveries(excluding, before) if m not in delivered[i]]

    def check_delivery(self, timeout=30, excluding=()):
        """Waits (bounded) until every required delivery happened; records what is missing or doubled."""
        if not self.system.delivers:
            return
        took = wait_until("every broadcast to reach every node", lambda: not self.missing_deliveries(excluding), timeout,
                          poll=0.25)
        required = self.required_deliveries(excluding)
        left = self.missing_deliveries(excluding)
        if left:
            self.failures.append(f"{len(left)} of {len(required)} required deliveries missing, e.g. {left[0]}")
        doubled = []
        for i in self.running():
            ids = [m for m, _ in self.system.deliveries(i)]
            doubled += [(m, i) for m in set(ids) if ids.count(m) > 1]
        if doubled:
            self.failures.append(f"{len(doubled)} messages delivered twice, e.g. {doubled[0]}")
        self.figures["broadcasts"] = len(self.broadcasts)
        self.figures["deliveries_checked"] = len(required)
        self.figures["delivered_within_seconds"] = rounded(took)
        self.figures["reliability"] = round(1 - len(left) / len(required), 4) if required else None
        self.figures["delivered_twice"] = len(doubled)

    def check_converged(self, timeout=30):
        nodes = self.running()
        took = wait_until("every running node to see every running node alive", lambda: self.converged(nodes), timeout)
        if took is None:
            self.failures.append("membership did not converge")

    def start_prometheus(self):
        """A real Prometheus over every node, with the repository's rules, once it has scraped them all up."""
        prometheus = LabPrometheus(self.lab, {self.name(i): self.system.admin_target(i) for i in self.everyone},
                                   self.tools["monitoring"])
        if wait_until("Prometheus to scrape every node up",
                      lambda: prometheus.targets_up() == {self.name(i): True for i in self.everyone}, 30) is None:
            raise ScenarioFailed(f"Prometheus did not scrape every node up: {prometheus.targets_up()}")
        return prometheus

    def result(self, scenario):
        return {"scenario": scenario, "system": self.system.name, "nodes": self.count, **self.figures,
                "passed": not self.failures, "failures": self.failures}


class ScenarioFailed(Exception):
    pass


def split(run, groups, split_seconds, heal_limit, one_way=False):
    """Split into `groups` for `split_seconds` (past failure detection and reaping), then heal. One-way: only
    the first group is deaf, so the others still hear it and it cannot refute what they say of it."""
    run.form()
    run.lab.partition(groups, one_way=one_way)
    split_at = time.time()
    if one_way:
        deaf = {run.name(i) for i in groups[0]}
        detected = wait_until("the others to hold the deaf group failed",
                              lambda: all(deaf <= {n for n, s in (run.system.states(i) or {}).items() if s in DEAD}
                                          for group in groups[1:] for i in group), split_seconds)
    else:
        detected = wait_until("each side to see only itself", lambda: run.each_side_alone(groups), split_seconds)
    run.figures["detected_seconds"] = rounded(detected)
    if detected is None:
        run.failures.append("the split was never detected")
    for group in groups:
        run.broadcast(group[0], "during the split")
    time.sleep(max(0, split_seconds - (time.time() - split_at)))
    run.lab.heal()
    healed = wait_until("every node to see all alive after the heal", lambda: run.converged(run.everyone), heal_limit + 30)
    run.figures["healed_seconds"] = rounded(healed)
    if healed is None or healed > heal_limit:
        run.failures.append(f"not healed within {heal_limit} s (took {rounded(healed)})")
    run.broadcast(groups[-1][-1], "after the heal")
    run.check_delivery()


def heal(run, split_seconds=90, heal_limit=17):
    half = run.count // 2
    split(run, [run.everyone[:half], run.everyone[half:]], split_seconds, heal_limit)
    run.check_converged()


def heal_one(run, split_seconds=90, heal_limit=17):
    """One node against the rest."""
    split(run, [run.everyone[-1:], run.everyone[:-1]], split_seconds, heal_limit)
    run.check_converged()


def heal_three(run, split_seconds=90, heal_limit=17):
    """Three groups of a third each: no group hears another."""
    third = run.count // 3
    split(run, [run.everyone[:third], run.everyone[third:2 * third], run.everyone[2 * third:]], split_seconds, heal_limit)
    run.check_converged()


def one_way(run, split_seconds=60, heal_limit=17):
    """One node hears nothing while the others still hear it; then the rule is lifted."""
    split(run, [run.everyone[-1:], run.everyone[:-1]], split_seconds, heal_limit, one_way=True)
    run.check_converged()


def loss(run, probability=0.2, seconds=60):
    """Every node drops `probability` of what it receives; broadcasts throughout. No member may be declared
    dead, and everything broadcast arrives."""
    run.form()
    run.lab.loss(probability)
    false_deaths = set()
    started = time.time()
    n = 0
    while time.time() - started < seconds:
        n += 1
        run.broadcast(run.everyone[n % run.count], f"under loss #{n}")
        false_deaths |= run.dead_in_views(run.everyone)
        time.sleep(1)
    run.lab.heal()
    run.figures["false_deaths"] = len(false_deaths)
    if false_deaths:
        run.failures.append(f"members declared dead under {probability:.0%} loss: {sorted(false_deaths)[:4]}")
    run.check_delivery()
    run.check_converged()


def crash(run, alerts_until=None):
    """The simulator's crash-30 on real processes: kill -9 the nodes its plan picks; the survivors see them dead
    and go on delivering. With `alerts_until` (plan seconds) and a system that exports metrics, a real
    Prometheus scrapes the lab and the simulator's alert plan for crash-30 is held against what it fired."""
    plan = simulator_plan(run.tools["plumtree_sim"], "crash-30", run.count)
    victims = [Lab.node_index(name) for name in plan["victims"]]
    survivors = [i for i in run.everyone if i not in victims]
    run.form()
    prometheus = check = None
    if alerts_until and run.system.delivers:
        prometheus = run.start_prometheus()
        check = PlanCheck(plan, prometheus.rules)
        # A few evaluations of the healthy cluster before the fault, as the simulator's warm-up gives.
        run.keep_broadcasting(time.time() + 20, survivors)
    fault = time.time()
    for i in victims:
        run.lab.kill(i)
    if check:
        check.fault_at(fault)
    gone = {run.name(i) for i in victims}
    detected = wait_until("the survivors to see the killed nodes dead",
                          lambda: all(gone <= {n for n, s in (run.system.states(i) or {}).items() if s in DEAD} for i in survivors), 60)
    run.figures["killed"] = len(victims)
    run.figures["detected_seconds"] = rounded(detected)
    if detected is None:
        run.failures.append("the killed nodes were not all seen dead within 60 s")
    for i in survivors[:3]:
        run.broadcast(i, "after the kill")
    if check:
        last = check.zero + check.check_times(alerts_until)[-1]
        run.keep_broadcasting(last, survivors)
        failures, fired = check.verify(prometheus, alerts_until)
        run.figures["alert_checks"] = len(check.check_times(alerts_until))
        run.figures["alerts_fired"] = sorted({f"{alert}@{instance}" for _, alert, instance in fired})
        run.failures += failures
    run.check_delivery()
    alive = sorted(run.name(i) for i in survivors)
    if wait_until("the survivors to see each other alive", lambda: all(run.alive_seen_by(i) == alive for i in survivors), 30) is None:
        run.failures.append("the survivors did not converge")


def pause(run, node=3, seconds=20):
    """SIGSTOP one node past failure detection, then SIGCONT: it refutes and is whole again, never holds
    itself dead, and no other member is declared dead."""
    run.form()
    others = [i for i in run.everyone if i != node]
    run.lab.pause(node)
    time.sleep(seconds)
    run.lab.resume(node)
    whole = wait_until(f"{run.name(node)} to be alive in every view again", lambda: run.converged(run.everyone), 60)
    run.figures["paused_seconds"] = seconds
    run.figures["whole_again_seconds"] = rounded(whole)
    if whole is None:
        run.failures.append(f"{run.name(node)} was not alive everywhere within 60 s of resuming")
    own = (run.system.states(node) or {}).get(run.name(node))
    if own in DEAD:
        run.failures.append(f"{run.name(node)} holds itself {own}")
    elsewhere = run.dead_in_views(run.everyone, excluding={run.name(node)})
    run.figures["false_deaths"] = len(elsewhere)
    if elsewhere:
        run.failures.append(f"members other than the paused one declared dead: {sorted(elsewhere)[:4]}")
    run.broadcast(node, "after the pause")
    run.broadcast(others[0], "after the pause")
    run.check_delivery()


def restart(run, node=4):
    """kill -9 one node and start it again under the same name at once: it comes back at a new incarnation,
    alive everywhere, and receives what is broadcast after."""
    run.form()
    run.lab.kill(node)
    run.start(node, join=1 if node != 1 else 2)
    back = wait_until(f"the restarted {run.name(node)} to be alive in every view", lambda: run.converged(run.everyone), 60)
    run.figures["alive_again_seconds"] = rounded(back)
    if back is None:
        run.failures.append(f"the restarted {run.name(node)} was not alive everywhere within 60 s")
    run.broadcast(1 if node != 1 else 2, "after the restart")
    run.broadcast(node, "from the restarted node")
    run.check_delivery()


def leave(run, node=5):
    """A graceful leave: every other node sees the member left, and the process exits by itself."""
    run.form()
    others = [i for i in run.everyone if i != node]
    run.system.leave(node)
    seen = wait_until(f"every other node to see {run.name(node)} left",
                      lambda: all((run.system.states(i) or {}).get(run.name(node)) == "left" for i in others), 30)
    run.figures["seen_left_seconds"] = rounded(seen)
    if seen is None:
        run.failures.append(f"{run.name(node)}'s leave was not seen by every other node within 30 s")
    exited = wait_until(f"{run.name(node)} to exit after leaving", lambda: not run.lab.running(node), 20)
    if exited is None:
        run.failures.append(f"{run.name(node)} still runs 20 s after leaving")
    run.broadcast(others[0], "after the leave")
    run.check_delivery()
    run.check_converged()


def rolling_upgrade(run, steps=("1-2", "2")):
    """The Plumtree protocol's rolling upgrade on real processes: every node in turn leaves gracefully and is
    started again speaking the next step's versions (1 -> 1-2 -> 2), while the others broadcast. Each
    broadcast reaches every node that was up meanwhile, no node ever reports a member it cannot speak with,
    and at the end every node announces version 2 alone. gossip-node only."""
    run.system.configure({"plumtree.protocol_versions": "1"})
    run.form()
    mismatches = set()
    for versions in steps:
        run.system.configure({"plumtree.protocol_versions": versions})
        for node in run.everyone:
            others = [i for i in run.everyone if i != node]
            run.system.leave(node)
            if wait_until(f"{run.name(node)} to exit after leaving", lambda: not run.lab.running(node), 20) is None:
                run.failures.append(f"{run.name(node)} did not exit after leaving")
                return
            run.broadcast(others[0], f"while {run.name(node)} is down")
            run.start(node, join=others[0])
            if wait_until(f"{run.name(node)} speaking {versions} to be alive everywhere", lambda: run.converged(run.everyone), 60) is None:
                run.failures.append(f"{run.name(node)} was not alive everywhere after its restart with {versions}")
            for i in (others[1], node):
                run.broadcast(i, f"after {run.name(node)} speaks {versions}")
            run.check_delivery()
            mismatches |= {(run.name(i), reason) for i in run.everyone for reason in run.system.health_reasons(i)
                           if reason == "plumtree_version_mismatch"}
    announced = {run.name(i): run.system.tags(1).get(run.name(i), {}).get("plumtree") for i in run.everyone}
    run.figures["announced"] = sorted(set(announced.values()))
    if set(announced.values()) != {steps[-1]}:
        run.failures.append(f"not every node announces plumtree={steps[-1]} at the end: {announced}")
    run.figures["version_mismatches"] = len(mismatches)
    if mismatches:
        run.failures.append(f"nodes reported members they cannot speak with: {sorted(mismatches)[:4]}")
    run.check_converged()


CATALOGUE = {
    "heal": heal,
    "heal-one": heal_one,
    "heal-three": heal_three,
    "one-way": one_way,
    "loss": loss,
    "crash-30": crash,
    "pause": pause,
    "restart": restart,
    "leave": leave,
    "rolling-upgrade": rolling_upgrade,
}
# Scenarios only gossip-node can run (serf has no Plumtree to upgrade).
GOSSIP_NODE_ONLY = {"rolling-upgrade"}
