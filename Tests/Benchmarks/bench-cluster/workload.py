"""One workload on a running cluster: M broadcasts of one size, from one origin or random origins, at a
fixed rate or as fast as the system accepts them; then what it cost and how fast it arrived."""
import random
import time

from clusters import Recorder
import wire_capture


# Payloads are random letters and digits: incompressible enough that neither system's compression (serf's
# memberlist compresses by default) turns padding into nothing, and plain text for ours' JSON output.
ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))]


def run(cluster, label: str, count: int, size: int, origins: str, rate, drain_timeout: float, settle: float,
        seed: int) -> dict:
    """Sends the workload and waits (bounded) for every receiver; returns the raw window figures.

    The cost window runs from the first send until `settle` seconds after the last delivery (or the drain
    timeout): a system that keeps re-sending after delivering pays for it.
    """
    recorder = Recorder()
    cluster.recorder = recorder
    chooser = random.Random(seed)
    filler = random.Random(seed + 1_000_003)
    receivers = cluster.k - 1
    send_times = {}
    accepted = 0
    cpu_before = cluster.cpu_seconds()
    counter_before = cluster.counter_bytes()
    start = time.monotonic()
    for i in range(count):
        if rate:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        key = f"{label}{i:05d}".encode()
        payload = key + b"-" + bytes(filler.choice(ALPHABET) for _ in range(size - len(key) - 1))
        origin = 0 if origins == "single" else chooser.randrange(cluster.k)
        recorder.expect(key, origin)
        send_times[key] = time.monotonic()
        if cluster.send(origin, payload):
            accepted += 1
    sent_end = time.monotonic()
    expected = accepted * receivers
    deadline = sent_end + drain_timeout
    while recorder.count() < expected and time.monotonic() < deadline and cluster.alive():
        time.sleep(0.02)
    with recorder.lock:
        first = dict(recorder.first)
    last_delivery = max(first.values(), default=sent_end)
    quiet_wait = cluster.wait_quiet(drain_timeout)
    time.sleep(settle)
    end = time.monotonic()
    cpu = cluster.cpu_seconds() - cpu_before
    counter_after = cluster.counter_bytes()

    latencies = [t - send_times[key] for (key, _receiver), t in first.items()]
    per_message = {}
    for (key, _receiver), t in first.items():
        per_message.setdefault(key, []).append(t)
    full = [max(times) - send_times[key] for key, times in per_message.items() if len(times) == receivers]
    # Which broadcasts had a receiver wait over 100 ms (for ours: a Graft repair rather than an eager push).
    slow = sorted(int(key[len(label):]) for key, times in per_message.items() if max(times) - send_times[key] > 0.1)
    delivered = len(first)
    return {
        "label": label, "messages": count, "accepted": accepted, "payload_bytes": size, "origins": origins,
        "rate": rate if rate else "max", "receivers_per_message": receivers,
        "delivered": delivered, "delivered_pct": 100.0 * delivered / (count * receivers),
        "duplicates": recorder.duplicates, "messages_over_100ms": len(slow), "first_messages_over_100ms": slow[:8], "fully_delivered_messages": len(full),
        "latency_p50_ms": ms(percentile(latencies, 0.50)), "latency_p99_ms": ms(percentile(latencies, 0.99)),
        "latency_max_ms": ms(max(latencies, default=None)),
        "full_delivery_p50_ms": ms(percentile(full, 0.50)), "full_delivery_p99_ms": ms(percentile(full, 0.99)),
        "accept_rate_per_s": count / max(sent_end - start, 1e-9),
        # Messages per second that reached every receiver: from the first send to the last delivery.
        "delivered_rate_per_s": (delivered / receivers) / max(last_delivery - start, 1e-9),
        "quiet_wait_s": round(quiet_wait, 2), "window": [start, end], "window_s": end - start, "cpu_s": cpu,
        "counter_bytes": None if counter_before is None else counter_after - counter_before,
    }


def ms(seconds):
    return None if seconds is None else round(seconds * 1000.0, 2)


def add_costs(result: dict, capture_path: str, ports, clock_offset: float, idle: dict) -> None:
    """Adds the wire bytes of the window and the per-delivered-message costs, net of the idle background."""
    start, end = result["window"]
    wire = wire_capture.window_bytes(capture_path, ports, start, end, clock_offset)
    result["wire"] = wire
    gross = wire["udp_bytes"] + wire["tcp_bytes"]
    background = idle["bytes_per_s"] * result["window_s"]
    delivered = max(result["delivered"], 1)
    result["wire_bytes"] = gross
    result["background_bytes"] = round(background)
    result["bytes_per_delivered"] = round(max(gross - background, 0) / delivered, 1)
    result["gross_bytes_per_delivered"] = round(gross / delivered, 1)
    cpu_net = max(result["cpu_s"] - idle["cpu_per_s"] * result["window_s"], 0)
    result["cpu_ms_per_delivered"] = round(1000 * cpu_net / delivered, 4)
    result["gross_cpu_ms_per_delivered"] = round(1000 * result["cpu_s"] / delivered, 4)
