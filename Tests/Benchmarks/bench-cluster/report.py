"""The side-by-side table (Markdown), the ratios ours/serf, the issue's targets, and the cost curve."""


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def mode(result):
    return "fixed" if result["rate"] != "max" else "max"


def workload_name(r):
    return f"{r['payload_bytes']} B {r['origins']} {mode(r)}"


def side_by_side(results) -> str:
    lines = ["| K | workload | system | delivered % | dup | p50 ms | p99 ms | max ms | full p99 ms | msgs/s delivered "
             "| bytes/delivered | CPU ms/delivered |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['k']} | {workload_name(r)} | {r['system']} | {fmt(r['delivered_pct'], 2)} | {r['duplicates']} "
                     f"| {fmt(r['latency_p50_ms'])} | {fmt(r['latency_p99_ms'])} | {fmt(r['latency_max_ms'])} "
                     f"| {fmt(r['full_delivery_p99_ms'])} | {fmt(r['delivered_rate_per_s'])} "
                     f"| {fmt(r['bytes_per_delivered'])} | {fmt(r['cpu_ms_per_delivered'], 3)} |")
    return "\n".join(lines)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def ratios(results) -> list:
    by_key = {}
    for r in results:
        by_key.setdefault((r["k"], workload_name(r)), {})[r["system"]] = r
    rows = []
    for (k, name), pair in by_key.items():
        ours, serf = pair.get("ours"), pair.get("serf")
        if not ours or not serf:
            continue
        rows.append({
            "k": k, "workload": name,
            "bytes_per_delivered": ratio(ours["bytes_per_delivered"], serf["bytes_per_delivered"]),
            "latency_p99": ratio(ours["latency_p99_ms"], serf["latency_p99_ms"]),
            "full_delivery_p99": ratio(ours["full_delivery_p99_ms"], serf["full_delivery_p99_ms"]),
            "cpu_per_delivered": ratio(ours["cpu_ms_per_delivered"], serf["cpu_ms_per_delivered"]),
            "delivered_rate": ratio(ours["delivered_rate_per_s"], serf["delivered_rate_per_s"]),
        })
    return rows


def ratio_table(rows) -> str:
    lines = ["| K | workload | bytes/delivered | p99 latency | full-delivery p99 | CPU/delivered | msgs/s delivered |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['k']} | {r['workload']} | {fmt(r['bytes_per_delivered'], 3)} | {fmt(r['latency_p99'], 3)} "
                     f"| {fmt(r['full_delivery_p99'], 3)} | {fmt(r['cpu_per_delivered'], 3)} | {fmt(r['delivered_rate'], 2)} |")
    return "\n".join(lines)


def targets(results, big_size: int) -> list:
    """The issue's targets at K = 16 with the large payload: (target, figure, met)."""
    def pick(system, origins, rate_mode):
        for r in results:
            if (r["system"], r["k"], r["payload_bytes"], r["origins"], mode(r)) == (system, 16, big_size, origins, rate_mode):
                return r
        return None
    out = []
    for origins in ("single", "random"):
        ours_fixed, serf_fixed = pick("ours", origins, "fixed"), pick("serf", origins, "fixed")
        ours_max, serf_max = pick("ours", origins, "max"), pick("serf", origins, "max")
        if not (ours_fixed and serf_fixed and ours_max and serf_max):
            continue
        both = min(ours_fixed["delivered_pct"], serf_fixed["delivered_pct"])
        out.append((f"{origins}: 100% delivered by both (fixed rate)",
                    f"ours {ours_fixed['delivered_pct']:.2f}%, serf {serf_fixed['delivered_pct']:.2f}%", both >= 100.0))
        b = ratio(ours_fixed["bytes_per_delivered"], serf_fixed["bytes_per_delivered"])
        out.append((f"{origins}: bytes/delivered ours/serf <= 0.333", fmt(b, 3), b is not None and b <= 1 / 3))
        p = ratio(ours_fixed["full_delivery_p99_ms"], serf_fixed["full_delivery_p99_ms"])
        out.append((f"{origins}: full-delivery p99 ours/serf <= 0.1", fmt(p, 3), p is not None and p <= 0.1))
        ok_rates = ours_max["delivered_pct"] >= 100.0 and serf_max["delivered_pct"] >= 100.0
        s = ratio(ours_max["delivered_rate_per_s"], serf_max["delivered_rate_per_s"])
        out.append((f"{origins}: sustained rate at 100% ours/serf >= 10",
                    f"{fmt(s, 2)} (ours {ours_max['delivered_rate_per_s']:.0f}/s at {ours_max['delivered_pct']:.2f}%, "
                    f"serf {serf_max['delivered_rate_per_s']:.1f}/s at {serf_max['delivered_pct']:.2f}%)",
                    ok_rates and s is not None and s >= 10))
    return out


def curve_table(rows) -> str:
    lines = ["| K | rate | delivered % | p99 ms | msgs/s delivered | bytes/delivered | CPU ms/delivered | gross CPU ms/delivered |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (mode(r), r["k"])):
        lines.append(f"| {r['k']} | {mode(r)} | {fmt(r['delivered_pct'], 2)} | {fmt(r['latency_p99_ms'])} "
                     f"| {fmt(r['delivered_rate_per_s'])} | {fmt(r['bytes_per_delivered'])} "
                     f"| {fmt(r['cpu_ms_per_delivered'], 3)} | {fmt(r['gross_cpu_ms_per_delivered'], 3)} |")
    return "\n".join(lines)
