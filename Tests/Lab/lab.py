#!/usr/bin/env python3
"""The lab: real processes, each in a network namespace of its own, faults injected by the kernel. gossip-node
agents join through a name (`seeds.lab`, every node's address in each namespace's own hosts file).

    python3 Tests/Lab/lab.py heal --binary .build/debug/gossip-node          # one scenario
    python3 Tests/Lab/lab.py all --system both                               # the catalogue, serf beside us
    python3 Tests/Lab/lab.py subset                                          # what make test runs (< 3 min)

Scenarios (tests/Lab/scenarios.py), six nodes on the lan profile each:
  heal      split 3/3 past failure detection and reaping (--split-seconds, 90), then healed: every node must
            see all six alive again within --heal-limit seconds (17: what serf took here)
  heal-one  one node against the rest, the same way
  heal-three  three groups of two, the same way
  one-way   one node deaf to the rest for 60 s while they still hear it, then lifted: healed within the limit
  loss      20% loss on every node for 60 s, broadcasts throughout: no member declared dead
  crash-30  the simulator's crash-30: kill -9 the nodes its plan picks; detected, and the rest go on
            delivering. For gossip-node a real Prometheus scrapes the lab and the simulator's alert plan is held
            against what fired, through --alerts-until plan seconds (the whole 720 s plan; 300 in the subset)
  pause     SIGSTOP one node for 20 s, then SIGCONT: whole again, never dead in its own eyes, no other death
  restart   kill -9 one node and start it again under its name: alive everywhere at a new incarnation
  leave     a graceful leave, seen as left everywhere; the process exits
  rolling-upgrade  every node in turn leaves and starts again speaking Plumtree versions 1-2, then again
            speaking 2, while the others broadcast: every broadcast delivered, no version mismatch reported, all
            on version 2 at the end (gossip-node only)
  replay-crash-30, replay-packet-loss-20, replay-isolated-node, replay-partition-heal
            the simulator's scenario replayed from its plan (Tests/Lab/replay.py): its faults at its times, its
            settings, a real Prometheus held to its alert plan through --alerts-until (the whole plan), then the
            simulator's own run of it beside the lab's in a fidelity table; gossip-node only, 11 to 17 minutes
  subset    heal (60 s split), loss (30 s), pause, crash-30 with alerts through 300 s and rolling-upgrade, side by side
            (each lab is its own set of namespaces), for make test
  all       the replays, then every other scenario for the chosen systems, --parallel at a time

gossip-node runs also check delivery (every broadcast from a live node delivered everywhere exactly once)
and every scenario checks membership convergence. With --system both, each scenario runs for gossip-node
and then for serf (membership figures only), one table compares them, and every split must heal faster
for gossip-node than for serf, or both within SAME_HEAL seconds (a split that no failure detection outlived,
as the one-way one, heals at the next probe for both, and which is first is noise). Everything the run
creates is
named after it and removed at the end, on failure too; logs are kept when a scenario fails. Needs root.
Standard library only.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading

import replay
import scenarios
from netlab import Lab
from systems import GossipNodes, SerfAgents

SUBSET = [("heal", {"split_seconds": 60}), ("loss", {"seconds": 30}), ("pause", {}), ("crash-30", {"alerts_until": 300}),
          ("rolling-upgrade", {})]
SPLITS = ("heal", "heal-one", "heal-three", "one-way")
# The lab's own scenarios, then the simulator's scenarios replayed from their plans (gossip-node only).
CATALOGUE = dict(scenarios.CATALOGUE)
CATALOGUE.update({name: (lambda run, simulated=simulated, **options: replay.replay(run, simulated, **options))
                  for name, simulated in replay.REPLAYS.items()})
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRINTING = threading.Lock()
# Heals this quick are one probe round for either system: the poll (0.5 s) cannot order them.
SAME_HEAL = 2.0


def say(text):
    """One whole line at a time: scenarios running side by side would otherwise interleave their output."""
    with PRINTING:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def run_one(name, system_name, binary, nodes, options, tools):
    logs = tempfile.mkdtemp(prefix=f"lab-{name}-{system_name}-")
    say(f"lab {name}: {nodes} {system_name} nodes, logs in {logs}")
    lab = Lab(nodes, logs)
    system = GossipNodes(lab, binary) if system_name == "gossip-node" else SerfAgents(lab, binary)
    run = scenarios.Run(system, nodes, tools)
    try:
        CATALOGUE[name](run, **options)
    except scenarios.ScenarioFailed as failure:
        run.failures.append(str(failure))
    except Exception as error:  # a broken harness step fails this scenario, with its logs kept, not the others
        run.failures.append(f"the lab itself failed: {type(error).__name__}: {error}")
    finally:
        lab.close()
    result = run.result(name)
    figures = {k: v for k, v in result.items() if k not in ("scenario", "system", "nodes", "passed", "failures")}
    say(f"lab {name} ({system_name}): {'PASS' if result['passed'] else 'FAIL'} {figures}"
        + "".join(f"\n  - {f}" for f in result["failures"]))
    if result["passed"]:
        shutil.rmtree(logs, ignore_errors=True)
    else:
        result["logs"] = logs
        say(f"lab {name} ({system_name}): logs kept in {logs}")
    return result


def table(results):
    columns = ["formed_seconds", "detected_seconds", "healed_seconds", "whole_again_seconds", "alive_again_seconds",
               "seen_left_seconds", "false_deaths", "deliveries_checked", "delivered_within_seconds", "alert_checks",
               "alerts_fired"]
    shown = [c for c in columns if any(c in r for r in results)]
    lines = ["| scenario | system | " + " | ".join(c.replace("_seconds", " (s)").replace("_", " ") for c in shown) + " | result |",
             "| --- | --- | " + " | ".join("---:" for _ in shown) + " | --- |"]
    for r in results:
        cells = ["" if r.get(c) is None else (", ".join(r[c]) or "none") if isinstance(r.get(c), list) else str(r.get(c))
                 for c in shown]
        lines.append(f"| {r['scenario']} | {r['system']} | " + " | ".join(cells) + f" | {'pass' if r['passed'] else 'FAIL'} |")
    return "\n".join(lines)


def fidelity_table(results):
    """Lab against simulator, one row per replayed scenario and figure (replay.TOLERANCES says how close)."""
    lines = []
    for r in results:
        for key, (ours, theirs, verdict) in (r.get("fidelity") or {}).items():
            show = lambda v: "" if v is None else (", ".join(v) or "none") if isinstance(v, list) else str(v)
            lines.append(f"| {r['scenario']} | {key.replace('_', ' ')} | {show(ours)} | {show(theirs)} | {verdict} |")
    if not lines:
        return ""
    return "\n".join(["| replay | figure | lab | simulator | |", "| --- | --- | --- | --- | --- |"] + lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=list(CATALOGUE) + ["all", "subset"])
    parser.add_argument("--system", choices=["gossip-node", "serf", "both"], default="gossip-node")
    parser.add_argument("--binary", default=".build/debug/gossip-node", help="the gossip-node program")
    parser.add_argument("--serf", default=shutil.which("serf"), help="the serf program")
    parser.add_argument("--nodes", type=int, default=6)
    parser.add_argument("--split-seconds", type=int, help="heal, heal-one: how long the split lasts (90)")
    parser.add_argument("--heal-limit", type=float, help="heal, heal-one: fail when healing takes longer (17)")
    parser.add_argument("--alerts-until", type=float, help="crash-30 and the replays: check the alert plan through these "
                        "plan seconds (the whole plan)")
    parser.add_argument("--plumtree-sim", default=".build/debug/plumtree-sim", help="the simulator's CLI, for alert plans")
    parser.add_argument("--parallel", type=int, help="how many scenarios run side by side, each in namespaces of its own "
                        "(default 1; the subset runs all four at once)")
    parser.add_argument("--json", help="write every result to this file")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the lab needs root (ip netns, iptables)")
    systems = ["gossip-node", "serf"] if args.system == "both" else [args.system]
    binaries = {"gossip-node": os.path.abspath(args.binary), "serf": args.serf and os.path.abspath(args.serf)}
    for name in systems:
        if not binaries[name] or not os.path.exists(binaries[name]):
            sys.exit(f"no {name} program at {binaries[name]}: build it or run make deps first")
    tools = {"plumtree_sim": os.path.abspath(args.plumtree_sim), "monitoring": os.path.join(ROOT, "monitoring", "prometheus")}
    if not os.path.exists(tools["plumtree_sim"]):
        sys.exit(f"no plumtree-sim at {tools['plumtree_sim']}: swift build --product plumtree-sim")
    if args.scenario == "all":
        # The replays last longest (up to 16 minutes each): they start first, so the others fill the slots beside them.
        plan = [(name, {}) for name in replay.REPLAYS]
        plan += [(name, {"alerts_until": 720} if name == "crash-30" else {}) for name in scenarios.CATALOGUE]
    elif args.scenario == "subset":
        plan = SUBSET
    else:
        plan = [(args.scenario, {"alerts_until": 720} if args.scenario == "crash-30" else {})]
    runs = []
    for name, options in plan:
        options = dict(options)
        if name in SPLITS:
            if args.split_seconds: options["split_seconds"] = args.split_seconds
            if args.heal_limit: options["heal_limit"] = args.heal_limit
        if (name == "crash-30" or name in replay.REPLAYS) and args.alerts_until:
            options["alerts_until"] = args.alerts_until
        for system in systems:
            if (name in replay.REPLAYS or name in scenarios.GOSSIP_NODE_ONLY) and system != "gossip-node":
                continue
            chosen = dict(options)
            # serf is the reference here, not held to our heal time: its figures go in the table.
            if system == "serf" and name in SPLITS:
                chosen["heal_limit"] = max(chosen.get("heal_limit", 17), 60)
            runs.append((name, system, chosen))
    results = [None] * len(runs)

    def execute(k):
        name, system, chosen = runs[k]
        results[k] = run_one(name, system, binaries[system], args.nodes, chosen, tools)

    width = args.parallel or (len(runs) if args.scenario == "subset" else 1)
    slots = threading.Semaphore(max(1, width))

    def in_slot(k):
        with slots:
            execute(k)

    threads = [threading.Thread(target=in_slot, args=(k,)) for k in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    comparisons = []
    for name in SPLITS:
        ours = next((r for r in results if r["scenario"] == name and r["system"] == "gossip-node"), None)
        theirs = next((r for r in results if r["scenario"] == name and r["system"] == "serf"), None)
        if ours and theirs and ours.get("healed_seconds") is not None and theirs.get("healed_seconds") is not None:
            faster = ours["healed_seconds"] < theirs["healed_seconds"] or max(ours["healed_seconds"], theirs["healed_seconds"]) <= SAME_HEAL
            comparisons.append(f"{name}: gossip-node healed in {ours['healed_seconds']} s, serf in {theirs['healed_seconds']} s")
            if not faster:
                ours["passed"] = False
                ours["failures"].append(f"healed no faster than serf ({ours['healed_seconds']} s against {theirs['healed_seconds']} s)")
    print()
    print(table(results))
    fidelity = fidelity_table(results)
    if fidelity:
        print()
        print(fidelity)
    for line in comparisons:
        print(line)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    failed = [f"{r['scenario']} ({r['system']})" for r in results if not r["passed"]]
    if failed:
        print(f"FAIL: {', '.join(failed)}")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
