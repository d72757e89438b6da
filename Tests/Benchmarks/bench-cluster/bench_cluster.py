#!/usr/bin/env python3
"""make bench-cluster: our gossip-node and serf side by side on loopback, one cluster at a time.

For each system and K: start K agents, join them, wait for full membership, send a short warm-up (not
measured), measure the idle background for a few seconds, then run every workload (payload sizes x
single/random origin x fixed rate/as fast as accepted). Deliveries are timestamped by this process as each
agent hands them over (ours: --print-messages on stdout; serf: its RPC `stream` of user events). Bytes on
the wire come from a tcpdump capture of the agents' memberlist ports (the same method for both systems; our
own memberlist_bytes_sent_total counters are kept beside it as a cross-check). CPU is /proc/PID/stat.
Then our cost curve over more cluster sizes. Prints the tables, writes JSON and Markdown to --out.
"""
import argparse
import json
import os
import platform
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import report  # noqa: E402
import workload  # noqa: E402
from clusters import OursCluster, Recorder, SerfCluster  # noqa: E402
from wire_capture import WireCapture, window_bytes  # noqa: E402


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build-release/release/gossip-node")
    parser.add_argument("--serf", default=shutil.which("serf") or "/usr/bin/serf")
    parser.add_argument("--ks", default="8,16", help="cluster sizes run side by side")
    parser.add_argument("--curve-ks", default="4,8,16,32", help="cluster sizes of our cost curve")
    # 476 B: serf refuses a user event whose *encoded* message (Lamport time, 1-byte name, payload, framing)
    # exceeds 512 B; 476 B fits while the Lamport time stays below 2^32.
    parser.add_argument("--sizes", default="64,476", help="payload sizes in bytes")
    parser.add_argument("--systems", default="ours,serf")
    parser.add_argument("--fixed-messages", type=int, default=16)
    parser.add_argument("--fixed-rate", type=float, default=2.0, help="broadcasts per second, whole cluster")
    parser.add_argument("--max-messages", type=int, default=60, help="broadcasts sent as fast as accepted")
    parser.add_argument("--drain-timeout", type=float, default=20.0, help="seconds to wait after the last send")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds of the cost window after the last delivery")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle background measured per cluster")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="reports/bench-cluster")
    return parser.parse_args()


def measure_cluster(cluster_type, k, args, out_dir, workloads, tag):
    """Runs `workloads` on one cluster of K agents; returns results (or raises with the logs kept)."""
    log_dir = os.path.join(out_dir, "logs", f"{tag}-{cluster_type.system}-{k}")
    binary = args.binary if cluster_type is OursCluster else args.serf
    cluster = cluster_type(k, binary, log_dir, Recorder())
    capture = None
    results = []
    try:
        started = time.monotonic()
        if not cluster.start(timeout=60):
            raise RuntimeError(f"{cluster.system} K={k}: no full membership within 60 s; logs in {log_dir}")
        print(f"  {cluster.system} K={k}: full membership after {time.monotonic() - started:.1f} s", flush=True)
        capture_path = os.path.join(log_dir, "wire.pcap")
        capture = WireCapture(cluster.bind_ports, capture_path, os.path.join(log_dir, "tcpdump.log"))
        capture.start()
        clock_offset = time.time() - time.monotonic()
        # Warm-up: Plumtree settles its tree on the first messages; serf gets the same treatment.
        workload.run(cluster, "w", 10, 64, "random", 20.0, args.drain_timeout, 0.5, args.seed)
        idle_cpu = cluster.cpu_seconds()
        idle_start = time.monotonic()
        time.sleep(args.idle)
        idle_end = time.monotonic()
        idle_cpu = cluster.cpu_seconds() - idle_cpu
        for number, (size, origins, rate, count) in enumerate(workloads):
            label = f"r{number:02d}"
            result = workload.run(cluster, label, count, size, origins, rate, args.drain_timeout, args.settle,
                                  args.seed + number)
            result.update(system=cluster.system, k=k)
            results.append(result)
            print(f"    {report.workload_name(result):22s} delivered {result['delivered_pct']:6.2f}%  "
                  f"p99 {report.fmt(result['latency_p99_ms'])} ms  {result['delivered_rate_per_s']:.1f} msgs/s",
                  flush=True)
            if not cluster.alive():
                raise RuntimeError(f"{cluster.system} K={k}: an agent exited; logs in {log_dir}")
    finally:
        cluster.stop()
        capture_info = capture.stop() if capture else {}
    idle_wire = window_bytes(capture_path, cluster.bind_ports, idle_start, idle_end, clock_offset)
    idle = {"seconds": idle_end - idle_start,
            "bytes_per_s": (idle_wire["udp_bytes"] + idle_wire["tcp_bytes"]) / (idle_end - idle_start),
            "cpu_per_s": idle_cpu / (idle_end - idle_start)}
    for result in results:
        workload.add_costs(result, capture_path, cluster.bind_ports, clock_offset, idle)
        result["idle"] = idle
        result["capture"] = capture_info
        del result["window"]
    # The capture is large and only needed when something went wrong.
    os.remove(capture_path)
    return results


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "python": platform.python_version(), "loadavg_at_start": os.getloadavg()}


def main():
    args = parse_arguments()
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    ks = [int(k) for k in args.ks.split(",") if k]
    curve_ks = [int(k) for k in args.curve_ks.split(",") if k]
    systems = args.systems.split(",")
    workloads = []
    for size in sizes:
        for origins in ("single", "random"):
            workloads.append((size, origins, args.fixed_rate, args.fixed_messages))
            workloads.append((size, origins, None, args.max_messages))
    began = time.monotonic()
    summary = {"machine": machine(), "settings": vars(args), "results": [], "curve": [], "errors": []}
    print(f"bench-cluster: {summary['machine']['nproc']} CPUs ({summary['machine']['cpu_model']}), "
          f"K = {ks}, payloads {sizes} B, {args.fixed_messages} at {args.fixed_rate}/s then {args.max_messages} "
          f"as fast as accepted", flush=True)
    for system in systems:
        cluster_type = OursCluster if system == "ours" else SerfCluster
        for k in ks:
            try:
                summary["results"] += measure_cluster(cluster_type, k, args, out_dir, workloads, "side")
            except Exception as error:  # keep going: the other clusters' figures still count
                print(f"  error: {error}", flush=True)
                summary["errors"].append(str(error))
    # Our cost curve: the large payload from random origins, at the fixed rate and as fast as accepted, each
    # K on a fresh cluster (a cluster that already carried other workloads pays more anti-entropy digest
    # bytes: its message cache is fuller), so the sizes compare with one another.
    curve_workloads = [(max(sizes), "random", args.fixed_rate, args.fixed_messages),
                       (max(sizes), "random", None, args.max_messages)]
    if "ours" in systems:
        for k in curve_ks:
            try:
                summary["curve"] += measure_cluster(OursCluster, k, args, out_dir, curve_workloads, "curve")
            except Exception as error:
                print(f"  error: {error}", flush=True)
                summary["errors"].append(str(error))
    summary["ratios"] = report.ratios(summary["results"])
    summary["targets"] = [{"target": t, "figure": f, "met": m} for t, f, m in report.targets(summary["results"], max(sizes))]
    summary["elapsed_s"] = round(time.monotonic() - began, 1)

    text = ["## Per system", report.side_by_side(summary["results"]), "",
            "## Ratios ours/serf (lower is better for us, except msgs/s)", report.ratio_table(summary["ratios"]), "",
            "## Targets at K = 16, large payload"]
    text += [f"- [{'x' if t['met'] else ' '}] {t['target']}: {t['figure']}" for t in summary["targets"]]
    text += ["", "## Our cost curve (large payload, random origins)", report.curve_table(summary["curve"])]
    if summary["errors"]:
        text += ["", "## Errors"] + [f"- {e}" for e in summary["errors"]]
    text += ["", f"elapsed {summary['elapsed_s']} s"]
    print("\n" + "\n".join(text))
    with open(os.path.join(out_dir, "bench-cluster.json"), "w") as f:
        json.dump(summary, f, indent=2, default=str)
    with open(os.path.join(out_dir, "bench-cluster.md"), "w") as f:
        f.write("\n".join(text) + "\n")
    print(f"\nwritten: {out_dir}/bench-cluster.json and bench-cluster.md")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
