"""Simulator scenarios replayed on real processes, and the simulator held to what they show.

A replay asks the simulator for a scenario's plan (`plumtree-sim plan SCENARIO --nodes N`): the faults it
injects and when, the nodes they hit, the settings its nodes run with, and its alert plan. The lab forms a
cluster of real gossip-node processes with those settings, broadcasts once a second from a running node as
the simulator's scenarios do, and injects the same faults with the kernel at the same offsets from the
first one: kill -9 for a crash, iptables for partitions, isolations and loss. A real Prometheus scrapes every
node, and what it fired is held to the plan at every check time (alerts.PlanCheck).

Then the simulator runs the same scenario at the same size and seed, and one fidelity row sets the two side
by side: reliability, messages delivered twice, time to detect a crash, time from a heal to the last repair,
false deaths, alerts fired, RMR and Plumtree messages per delivery. TOLERANCES says how far apart they may be.
Reliability must agree within 0.02 and double deliveries exactly. False deaths are shown, not judged: at 6 nodes
and 20% loss a few happen in ten minutes on both sides, their number is chance (the lab saw 0 to 2 in a
replay, the simulator 0 to 6 over seeds 1-8), and one run of each cannot tell two rates apart. The alerts must
agree on which alerts fired, and on which nodes for every alert the plan requires (a tolerated alert near its
threshold, as the duplicate-rate ones under loss, may fire on some nodes and not others by chance). A
difference in those fails the replay.
"""
import json
import random
import subprocess
import tempfile
import time

from alerts import PlanCheck, simulator_plan
from netlab import Lab
from scenarios import rounded

# Lab scenario -> the simulator's scenario it replays.
REPLAYS = {
    "replay-crash-30": "crash-30",
    "replay-packet-loss-20": "packet-loss-20",
    "replay-isolated-node": "isolated-node",
    "replay-partition-heal": "partition-heal",
}
# Figures that may differ, and by how much: max(absolute, relative x the larger of the two). Detection rides on
# probe timers that run on both sides, so seconds apart is a real difference; RMR and messages per delivery
# depend on the order packets meet in, which real scheduling and the simulator's link model set differently.
TOLERANCES = {
    # Both count deliveries to every running node, an isolated one included, at slightly different moments.
    "reliability": (0.02, 0.0),
    "detection_seconds": (5.0, 0.5),
    "heal_seconds": (5.0, 0.5),
    "rmr": (0.1, 0.5),
    "plumtree_messages_per_delivery": (0.5, 0.5),
}
# The simulator's scenarios broadcast from their first minute on (the cluster forms before it); the lab's forms
# in a second, and starts at that first minute of the plan, so both broadcast as long before the first fault.
BROADCASTS_FROM = 60
BROADCAST_EVERY = 1.0
POLL_EVERY = 2.0


class FaultState:
    """Who can reach whom after the faults so far, to tell a genuine death from a false one."""

    def __init__(self):
        self.groups = None
        self.isolated = set()
        self.crashed = set()

    def apply(self, fault):
        kind = fault["kind"]
        if kind == "crash":
            self.crashed |= {Lab.node_index(n) for n in fault["nodes"]}
        elif kind == "partition":
            self.groups = [{Lab.node_index(n) for n in group} for group in fault["groups"]]
        elif kind == "isolate":
            self.isolated |= {Lab.node_index(n) for n in fault["nodes"]}
        elif kind == "heal":
            self.groups, self.isolated = None, set()

    def reachable(self, a, b):
        if a in self.crashed or b in self.crashed:
            return False
        if (a in self.isolated) != (b in self.isolated):
            return False
        return self.groups is None or any(a in g and b in g for g in self.groups)


def inject(run, fault):
    kind = fault["kind"]
    if kind == "crash":
        for name in fault["nodes"]:
            run.lab.kill(Lab.node_index(name))
    elif kind == "partition":
        run.lab.partition([[Lab.node_index(n) for n in group] for group in fault["groups"]])
    elif kind == "isolate":
        victim = Lab.node_index(fault["nodes"][0])
        run.lab.partition([[victim], [i for i in run.everyone if i != victim]])
    elif kind == "heal":
        run.lab.heal()
    elif kind == "loss":
        run.lab.loss(fault["loss"])
    else:
        raise RuntimeError(f"the lab cannot inject a {kind} fault")


def replay(run, scenario, alerts_until=None):
    """Replays `scenario` through plan second `alerts_until` (the whole plan by default), then runs it in the
    simulator and compares."""
    if not run.system.delivers:
        raise RuntimeError("replays run gossip-node: they compare delivery and alerts with the simulator")
    plan = simulator_plan(run.tools["plumtree_sim"], scenario, run.count)
    faults = sorted(plan["faults"], key=lambda f: f["seconds"])
    if not faults:
        raise RuntimeError(f"{scenario} injects no fault the lab can make")
    until = min(alerts_until or plan["durationSeconds"], plan["durationSeconds"])
    run.system.configure(plan["settings"])
    isolated = {Lab.node_index(n) for f in faults if f["kind"] == "isolate" for n in f["nodes"]}
    crashed = {Lab.node_index(n) for f in faults if f["kind"] == "crash" for n in f["nodes"]}
    run.form()
    prometheus = run.start_prometheus()
    check = PlanCheck(plan, prometheus.rules)

    state = FaultState()
    zero = time.time() - BROADCASTS_FROM
    check.zero = zero
    end = zero + until
    pending = list(faults)
    receivers_excluded = isolated | crashed
    crash_at, heal_at, healed_at, dead_seen = {}, None, None, {}
    false_deaths = set()
    draw = random.Random(1)
    next_broadcast = next_poll = time.time()
    while time.time() < end:
        now = time.time()
        while pending and zero + pending[0]["seconds"] <= now:
            fault = pending.pop(0)
            inject(run, fault)
            state.apply(fault)
            if fault["kind"] == "crash":
                for name in fault["nodes"]:
                    crash_at[Lab.node_index(name)] = time.time()
            if fault["kind"] == "heal":
                heal_at = time.time()
        if now >= next_broadcast:
            origins = [i for i in run.running() if i not in isolated]
            if origins:
                run.broadcast(draw.choice(origins), f"replay #{len(run.broadcasts)}")
            next_broadcast += BROADCAST_EVERY
        if now >= next_poll:
            for observer in run.running():
                for name, member_state in (run.system.states(observer) or {}).items():
                    member = Lab.node_index(name)
                    if member_state != "dead" or member == observer:
                        continue
                    dead_seen.setdefault((observer, member), time.time())
                    if state.reachable(observer, member) and run.lab.running(member):
                        false_deaths.add((run.name(observer), name))
            if heal_at and healed_at is None and not run.missing_deliveries(excluding=receivers_excluded, before=heal_at):
                healed_at = time.time()
            next_poll += POLL_EVERY
        time.sleep(0.1)

    failures, fired = check.verify(prometheus, until)
    run.failures += failures
    run.figures["alert_checks"] = len(check.check_times(until))
    lab_alerts = sorted({f"{alert}@{instance}" for _, alert, instance in fired})
    run.figures["alerts_fired"] = lab_alerts
    run.check_delivery(excluding=receivers_excluded, timeout=60)
    # As the simulator counts it: every node running at the end is a receiver, an isolated one too.
    everyone = run.required_deliveries(excluding=crashed)
    lab = {
        "reliability": round(1 - len(run.missing_deliveries(excluding=crashed)) / len(everyone), 4) if everyone else None,
        # Alerts compare only over the whole plan: the simulator's run covers all of it.
        "required_alerts": required_alerts(plan, lab_alerts) if until >= plan["durationSeconds"] else None,
        "delivered_twice": run.figures.get("delivered_twice", 0),
        "false_deaths": len(false_deaths),
        "alerts": lab_alerts if until >= plan["durationSeconds"] else None,
    }
    if crash_at:
        survivors = [i for i in run.everyone if i not in crashed]
        per_victim = []
        for victim, at in crash_at.items():
            seen = [dead_seen.get((s, victim)) for s in survivors if s not in isolated]
            if all(seen):
                per_victim.append(max(seen) - at)
        lab["detection_seconds"] = rounded(sum(per_victim) / len(per_victim)) if len(per_victim) == len(crash_at) else None
    if heal_at:
        # Polled every POLL_EVERY seconds: the lab's figure is late by up to that much.
        lab["heal_seconds"] = rounded(healed_at - heal_at) if healed_at else None
    lab.update(plumtree_figures(prometheus))
    simulated = simulate(run, scenario, plan)
    compare(run, lab, simulated)


def required_alerts(plan, fired):
    """The fired alerts that the plan requires somewhere, by alert@instance, and the names of all others."""
    required = {e["alert"] for e in plan["expectations"] if e["strict"]}
    return sorted(a for a in fired if a.split("@")[0] in required) + sorted({a.split("@")[0] for a in fired
                                                                            if a.split("@")[0] not in required})


def plumtree_figures(prometheus):
    """RMR and Plumtree messages per delivery over the whole run, every launch's last counter values summed."""
    def total(metric):
        answer = prometheus.api("/api/v1/query", query=f"sum(max_over_time({metric}[2h]))")
        result = (answer or {}).get("data", {}).get("result", [])
        return float(result[0]["value"][1]) if result else None

    delivered = total("plumtree_messages_delivered_total")
    duplicates = total("plumtree_messages_duplicate_total")
    sent = [total(f"plumtree_{kind}_sent_total") for kind in KINDS]
    if not delivered or duplicates is None or None in sent:
        return {}
    figures = {"rmr": round(duplicates / delivered, 3), "plumtree_messages_per_delivery": round(sum(sent) / delivered, 2)}
    # Each kind on its own, so that a difference in the sum can be traced to the messages that make it.
    for kind, count in zip(KINDS, sent):
        figures[f"{kind}_per_delivery"] = round(count / delivered, 2)
    return figures


# The Plumtree messages counted per delivery, by the name of their sent counter.
KINDS = ("gossip", "ihave", "graft", "prune")


def simulate(run, scenario, plan):
    """The same scenario in the simulator, at the lab's size and the plan's seed, with the repository's rules."""
    reports = tempfile.mkdtemp(prefix=f"lab-sim-{scenario}-")
    result = subprocess.run([run.tools["plumtree_sim"], "run", scenario, "--nodes", str(run.count), "--seed", "1", "--json",
                             "--rules", f"{run.tools['monitoring']}/alerts.yml", "--reports", reports],
                            capture_output=True, text=True, timeout=900)
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        raise RuntimeError(f"plumtree-sim run {scenario} gave no result: {result.stderr.strip()[-400:]}")
    alerts = sorted(a.replace('{instance="', "@").rstrip('"}') for a in answer["alerts_fired"])
    return {
        "required_alerts": required_alerts(plan, alerts),
        "reliability": round(answer["reliability"], 4),
        "delivered_twice": 0,  # the simulator's recorder counts each (message, node) delivery once, by construction
        "false_deaths": answer["false_deaths"],
        "alerts": alerts,
        "detection_seconds": rounded_or_none(answer.get("time_to_full_detection")),
        "heal_seconds": rounded_or_none(answer.get("time_to_heal")),
        "rmr": round(answer["rmr"], 3),
        "plumtree_messages_per_delivery": round(answer["plumtree_messages_per_delivery"], 2),
        # Divided by Plumtree's own delivery counter, as the lab's figures are.
        **{f"{kind}_per_delivery": round(answer[f"{field}_sent"] / max(1.0, answer["plumtree_delivered"]), 2)
           for kind, field in zip(KINDS, ("gossip", "ihave", "grafts", "prunes"))},
        "passed": answer["passed"],
        "failures": answer.get("failures", []),
    }


def rounded_or_none(value):
    return None if value is None else round(value, 1)


def compare(run, lab, simulated):
    """Puts the fidelity row in the run's figures; exact figures that differ fail the replay."""
    rows, findings = {}, []
    for key in ("reliability", "delivered_twice", "false_deaths", "alerts", "required_alerts", "detection_seconds",
                "heal_seconds", "rmr", "plumtree_messages_per_delivery"):
        ours, theirs = lab.get(key), simulated.get(key)
        if ours is None or theirs is None:
            rows[key] = (ours, theirs, "n/a")
            continue
        if key in ("alerts", "false_deaths"):
            rows[key] = (ours, theirs, "shown")  # alerts are judged through required_alerts
            continue
        if key in TOLERANCES:
            absolute, relative = TOLERANCES[key]
            agrees = abs(ours - theirs) <= max(absolute, relative * max(abs(ours), abs(theirs)))
        else:
            agrees = ours == theirs
        rows[key] = (ours, theirs, "agrees" if agrees else "differs")
        if not agrees:
            findings.append(f"{key}: lab {ours}, simulator {theirs}")
            if key not in TOLERANCES:
                run.failures.append(f"the simulator disagrees with the lab on {key}: lab {ours}, simulator {theirs}")
    for key in (f"{kind}_per_delivery" for kind in KINDS):
        rows[key] = (lab.get(key), simulated.get(key), "shown")
    # The simulator's own checks are set for its default size; at the lab's they may not hold, and the lab,
    # not the simulator's expectation, is the reference here. They are shown, not judged.
    rows["simulator's own checks"] = ("", "pass" if simulated["passed"] else "; ".join(simulated["failures"])[:200], "shown")
    run.figures["fidelity"] = rows
    run.figures["fidelity_findings"] = findings
