"""gossip-node agents for the benchmark scripts beside this file: started on port 0 (membership and admin),
their ports read back from the running process, their RSS and metrics read."""
import http.client, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench-cluster'))
import processes  # noqa: E402  (bench-cluster/processes.py)


def start(binary, name, join=None):
    """Starts `gossip-node agent NAME`, joining 127.0.0.1:JOIN if given; returns (process, gossip port,
    admin port) once it listens on both."""
    args = [binary, 'agent', '--name', name, '--bind', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log-level', 'critical']
    if join: args += ['--join', f'127.0.0.1:{join}']
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, SWIFT_BACKTRACE='enable=no'))
    gossip, admin = processes.bound_ports(p, other_tcp=1)
    return p, gossip, admin


def rss_mb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS'): return int(line.split()[1]) // 1024
    return 0


def metric(admin_port, name, labels=''):
    """The sum of every series of `name` whose labels contain `labels`, from the agent's /metrics."""
    c = http.client.HTTPConnection('127.0.0.1', admin_port, timeout=10)
    c.request('GET', '/metrics'); text = c.getresponse().read().decode(); c.close()
    total = 0.0
    for line in text.splitlines():
        if line.startswith('#'): continue
        key = line.split(' ')[0]
        if key.split('{')[0] == name and labels in key:
            total += float(line.rsplit(' ', 1)[1])
    return total
