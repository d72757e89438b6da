"""A real Prometheus over the lab, and the simulator's alert plan held against what it fired.

Prometheus runs in the lab's hub namespace, on the bridge beside every node, with the repository's alert and
recording rules and a 5 s scrape and evaluation interval. Each node is scraped under its simulator name as
`instance`, so the plan the simulator proves with promtool (`plumtree-sim plan SCENARIO`) applies as it is:
the lab replays the scenario's faults on the plan's nodes at the plan's times, and after the run reads back,
from Prometheus' own `ALERTS` series, what fired at each of the plan's check times. The plan's rules are the
simulator's (AlertPlan.swift): at each check an alert fires on exactly the instances its strict expectations
name, and anywhere else only where a tolerance allows.
"""
import json
import os
import re
import subprocess
import time
import urllib.parse

from netlab import HUB_HOST, SUBNET

PROMETHEUS_PORT = 9090
INTERVAL_SECONDS = 5


def alert_names(rules_file):
    with open(rules_file) as rules:
        return re.findall(r"^\s*-\s*alert:\s*(\S+)", rules.read(), re.MULTILINE)


def simulator_plan(plumtree_sim, scenario, nodes, seed=1):
    """The scenario's script and alert plan as the simulator draws it (`plumtree-sim plan`)."""
    result = subprocess.run([plumtree_sim, "plan", scenario, "--nodes", str(nodes), "--seed", str(seed)],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"plumtree-sim plan {scenario} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


class LabPrometheus:
    """Debian's Prometheus, scraping every node of `targets` ({instance: host:port}) from the hub namespace."""

    def __init__(self, lab, targets, monitoring_dir, prometheus="prometheus"):
        self.lab = lab
        self.rules = os.path.join(monitoring_dir, "alerts.yml")
        directory = os.path.join(lab.logs, "prometheus")
        os.makedirs(directory, exist_ok=True)
        config = os.path.join(directory, "prometheus.yml")
        with open(config, "w") as out:
            out.write(self.config(targets, [self.rules, os.path.join(monitoring_dir, "recording-rules.yml")]))
        # The port is fixed: the hub namespace is this run's alone, so nothing else can hold it.
        lab.start_in_hub("prometheus", [prometheus, f"--config.file={config}", f"--storage.tsdb.path={directory}/data",
                                        f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}", "--log.level=warn"])
        started = time.time()
        while not self.ready():
            if time.time() - started > 30:
                raise RuntimeError(f"Prometheus was not ready within 30 s; see {lab.logs}/prometheus.log")
            time.sleep(0.5)

    @staticmethod
    def config(targets, rule_files):
        lines = ["global:", f"  scrape_interval: {INTERVAL_SECONDS}s", f"  evaluation_interval: {INTERVAL_SECONDS}s",
                 "rule_files:"] + [f"  - {path}" for path in rule_files]
        lines += ["scrape_configs:", "  - job_name: plumtree", "    static_configs:"]
        for instance, target in sorted(targets.items()):
            lines += [f"      - targets: ['{target}']", f"        labels: {{instance: '{instance}'}}"]
        return "\n".join(lines) + "\n"

    def api(self, path, **query):
        url = f"http://127.0.0.1:{PROMETHEUS_PORT}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        result = self.lab.run_in(0, ["curl", "-s", "--max-time", "5", url], timeout=10)
        return json.loads(result.stdout) if result.stdout else None

    def ready(self):
        try:
            return self.lab.run_in(0, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                       f"http://127.0.0.1:{PROMETHEUS_PORT}/-/ready"], timeout=5).stdout == "200"
        except subprocess.TimeoutExpired:
            return False

    def targets_up(self):
        answer = self.api("/api/v1/query", query='up{job="plumtree"}')
        return {r["metric"]["instance"]: r["value"][1] == "1" for r in answer["data"]["result"]} if answer else {}

    def firing_at(self, unix_time):
        """{alert: {instance}} firing at that moment, from Prometheus' ALERTS series."""
        answer = self.api("/api/v1/query", query='ALERTS{alertstate="firing"}', time=f"{unix_time:.3f}")
        firing = {}
        for series in (answer or {}).get("data", {}).get("result", []):
            firing.setdefault(series["metric"]["alertname"], set()).add(series["metric"].get("instance", ""))
        return firing


class PlanCheck:
    """The simulator's alert plan on the lab's clock: plan second s is lab time `zero + s`."""

    def __init__(self, plan, rules_file):
        self.plan = plan
        self.alerts = alert_names(rules_file)
        self.zero = None

    def fault_at(self, unix_time):
        """Pins the plan's first scripted fault to the moment the lab injected it."""
        self.zero = unix_time - self.plan["marks"][0]["seconds"]

    def check_times(self, until_seconds):
        t, end = self.plan["checksFromSeconds"], min(until_seconds, self.plan["durationSeconds"])
        times = []
        while t <= end:
            times.append(t)
            t += self.plan["checkEverySeconds"]
        return times

    def required(self, alert, t):
        found = set()
        for e in self.plan["expectations"]:
            if e["strict"] and e["alert"] == alert and e["fromSeconds"] <= t < e["untilSeconds"]:
                found |= set(e.get("instances") or [])
        return found

    def tolerated(self, alert, t):
        """Instances that may fire besides the required ones; None means any."""
        found = set()
        for e in self.plan["expectations"]:
            if not e["strict"] and e["alert"] == alert and e["fromSeconds"] <= t < e["untilSeconds"]:
                if e.get("instances") is None:
                    return None
                found |= set(e["instances"])
        return found

    def verify(self, prometheus, until_seconds):
        """Waits (bounded by the plan) until the last check time has been evaluated, then compares every check
        time's firing alerts with the plan. Returns (failures, [(seconds, alert, instance)] fired)."""
        times = self.check_times(until_seconds)
        last = self.zero + times[-1] + 2 * INTERVAL_SECONDS
        time.sleep(max(0, last - time.time()))
        failures, fired = [], []
        for t in times:
            firing = prometheus.firing_at(self.zero + t)
            for alert in self.alerts:
                instances = firing.get(alert, set())
                fired += [(t, alert, i) for i in sorted(instances)]
                required, tolerated = self.required(alert, t), self.tolerated(alert, t)
                for missing in sorted(required - instances):
                    failures.append(f"at {t:.0f} s {alert} should fire on {missing} and does not")
                if tolerated is not None:
                    for unexpected in sorted(instances - required - tolerated):
                        failures.append(f"at {t:.0f} s {alert} fires on {unexpected}, which the plan does not allow")
            for alert in sorted(set(firing) - set(self.alerts)):
                failures.append(f"at {t:.0f} s {alert} fires, which the rules file does not define")
        return failures, fired
