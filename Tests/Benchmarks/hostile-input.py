#!/usr/bin/env python3
"""Hostile floods against two gossip-node agents on loopback, with figures.

Starts a target and a peer, then: 500 idle admin connections, 64 admin keep-alive connections held
with a request each every 2 s, 2000 idle connections to the gossip port, and 50 slow streams each
declaring 19 MiB. Meanwhile it asks the target's /health/live every 100-200 ms and prints the answers,
the slowest one, the target's RSS and how the peer sees the target. docs/ARCHITECTURE.md ("Limits")
quotes its figures.

usage: python3 Tests/Benchmarks/hostile-input.py .build/debug/gossip-node
"""
import json, os, socket, struct, subprocess, sys, threading, time
from agents import rss_mb, start as start_agent

BIN = sys.argv[1]

def live(ap, timeout=5.0):
    t0 = time.time()
    try:
        s = socket.create_connection(('127.0.0.1', ap), timeout=timeout)
        s.settimeout(timeout)
        s.sendall(b'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        data = b''
        while b'\r\n' not in data:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        s.close()
        return int(data.split(b' ')[1]), time.time() - t0
    except Exception as e:
        return 0, time.time() - t0

def probe(ap, seconds, every=0.2):
    out = []
    end = time.time() + seconds
    while time.time() < end:
        out.append(live(ap)); time.sleep(every)
    return out

def summary(label, results):
    codes = {}
    for c, _ in results: codes[c] = codes.get(c, 0) + 1
    print(f'{label}: {len(results)} probes, statuses {codes}, slowest {max(t for _, t in results)*1000:.0f} ms', flush=True)

def members_state(ap, name):
    s = socket.create_connection(('127.0.0.1', ap), timeout=5)
    s.sendall(b'GET /v1/members HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    data = b''
    while True:
        c = s.recv(65536)
        if not c: break
        data += c
    body = json.loads(data.split(b'\r\n\r\n', 1)[1])
    for m in body['members']:
        if m['name'] == name: return m['state'], m['incarnation']

def admin_flood(ap):
    held = []
    def flood():
        for _ in range(500):
            try: held.append(socket.create_connection(('127.0.0.1', ap), timeout=2))
            except OSError: pass
    t = threading.Thread(target=flood); t.start()
    r = probe(ap, 3, 0.1); t.join()
    summary(f'admin: 500 idle connections ({len(held)} opened)', r)
    for s in held: s.close()

def admin_keepalive(ap):
    stop = time.time() + 6
    def holders():
        conns = [None] * 64
        while time.time() < stop:
            for i in range(64):
                try:
                    if conns[i] is None: conns[i] = socket.create_connection(('127.0.0.1', ap), timeout=2)
                    conns[i].sendall(b'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')
                    if not conns[i].recv(4096): raise OSError
                except OSError:
                    conns[i] = None
            time.sleep(2)
        for c in conns:
            if c: c.close()
    t = threading.Thread(target=holders); t.start(); time.sleep(0.5)
    r = probe(ap, 5, 0.2); t.join()
    summary('admin: 64 keep-alive connections held, a request each every 2 s', r)

def slow_streams(gp, ap, pid, peer_ap, name):
    head = bytes([8, 0x81, 0xAA]) + b'UserMsgLen' + bytes([0xCE]) + struct.pack('>I', 19 << 20)
    conns = []
    for _ in range(50):
        try:
            c = socket.create_connection(('127.0.0.1', gp), timeout=5); c.sendall(head); conns.append(c)
        except OSError: pass
    chunk = b'Z' * 65536
    stop = time.time() + 8
    sent = [0]
    def attack():
        while time.time() < stop:
            for i, c in enumerate(conns):
                if c is None: continue
                try: c.sendall(chunk); sent[0] += len(chunk)
                except OSError: conns[i] = None
            time.sleep(0.05)
    t = threading.Thread(target=attack); t.start()
    peak = rss_mb(pid); results = []; states = set()
    while time.time() < stop:
        results.append(live(ap)); peak = max(peak, rss_mb(pid))
        try: states.add(members_state(peer_ap, name))
        except Exception: states.add(('?', -1))
        time.sleep(0.2)
    t.join()
    summary(f'streams: 50 slow streams declaring 19 MiB, {sent[0] >> 20} MiB sent in 8 s, RSS peak {peak} MB', results)
    print(f'streams: the peer saw the target as {sorted(states)}', flush=True)
    for c in conns:
        if c: c.close()

def stream_count(gp, ap):
    held = []
    for _ in range(2000):
        try: held.append(socket.create_connection(('127.0.0.1', gp), timeout=2))
        except OSError: pass
    time.sleep(1)
    closed = 0
    for s in held:
        s.setblocking(False)
        try:
            if s.recv(1) == b'': closed += 1
        except BlockingIOError: pass
        except OSError: closed += 1
    print(f'streams: 2000 idle connections to the gossip port: {len(held) - closed} held open by the node, {closed} closed', flush=True)
    summary('streams: /health/live meanwhile', probe(ap, 1, 0.2))
    for s in held: s.close()

a, agp, aap = start_agent(BIN, 'target')
b, bgp, bap = start_agent(BIN, 'peer', join=agp)
time.sleep(2)
try:
    print(f'RSS at rest {rss_mb(a.pid)} MB', flush=True)
    admin_flood(aap); time.sleep(1)
    admin_keepalive(aap); time.sleep(1)
    stream_count(agp, aap); time.sleep(1)
    slow_streams(agp, aap, a.pid, bap, 'target')
finally:
    a.terminate(); b.terminate(); a.wait(10); b.wait(10)
