#!/usr/bin/env python3
"""A flood of large broadcasts between two gossip-node agents on loopback, with figures.

Starts an origin and a peer, then posts COUNT broadcasts of 60 KiB (bytes LZW cannot shrink) to the
origin's POST /v1/broadcast from 16 threads, for at most SECONDS. A 429 (the node refused: too much is
still being sent) is retried after 20 ms, as a client that honours it would; its count is printed.
Afterwards it waits for the peer to deliver what was accepted, and prints: accepted, 429s, delivered at
the peer, sends counted failed, each node's RSS peak and cache bytes. docs/ARCHITECTURE.md ("Limits")
quotes its figures.

usage: python3 Tests/Benchmarks/broadcast-flood.py .build/debug/gossip-node [COUNT] [SECONDS]
"""
import http.client, os, random, socket, subprocess, sys, threading, time
from agents import metric, rss_mb, start as start_agent

BIN = sys.argv[1]
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 12000
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 300
SIZE = 60 * 1024

a, agp, aap = start_agent(BIN, 'origin')
b, bgp, bap = start_agent(BIN, 'peer', join=agp)
time.sleep(3)
noise = random.Random(20).randbytes(SIZE)
lock = threading.Lock()
state = {'next': 0, 'accepted': 0, 'refused': 0, 'other': 0}
deadline = time.time() + SECONDS

def worker():
    c = http.client.HTTPConnection('127.0.0.1', aap, timeout=30)
    while time.time() < deadline:
        with lock:
            if state['next'] >= COUNT: return
            n = state['next']; state['next'] += 1
        body = n.to_bytes(4, 'big') + noise[4:]
        while time.time() < deadline:
            try:
                c.request('POST', '/v1/broadcast', body=body); r = c.getresponse(); r.read()
            except Exception:
                c.close(); c = http.client.HTTPConnection('127.0.0.1', aap, timeout=30); continue
            with lock:
                if r.status == 200: state['accepted'] += 1
                elif r.status == 429: state['refused'] += 1
                else: state['other'] += 1
            if r.status != 429: break
            time.sleep(0.02)

peaks = {'origin': 0, 'peer': 0}
watching = True
def watch():
    while watching:
        peaks['origin'] = max(peaks['origin'], rss_mb(a.pid)); peaks['peer'] = max(peaks['peer'], rss_mb(b.pid))
        time.sleep(0.2)

try:
    print(f'RSS at rest: origin {rss_mb(a.pid)} MB, peer {rss_mb(b.pid)} MB', flush=True)
    w = threading.Thread(target=watch); w.start()
    t0 = time.time()
    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads: t.start()
    for t in threads: t.join()
    offered = time.time() - t0
    accepted = state['accepted']
    for _ in range(600):
        if metric(bap, 'plumtree_messages_delivered_total') + metric(aap, 'plumtree_sends_failed_total') >= accepted: break
        time.sleep(0.1)
    watching = False; w.join()
    print(f'{accepted} of {COUNT} broadcasts of 60 KiB accepted in {offered:.1f} s '
          f'({accepted * SIZE / offered / 2**20:.1f} MiB/s), {state["refused"]} answers 429 (retried), {state["other"]} other', flush=True)
    print(f'delivered at the peer: {metric(bap, "plumtree_messages_delivered_total"):.0f}; '
          f'sends counted failed at the origin: {metric(aap, "plumtree_sends_failed_total"):.0f}; '
          f'refused counted: {metric(aap, "plumtree_broadcasts_refused_total"):.0f}', flush=True)
    print(f'RSS peak: origin {peaks["origin"]} MB, peer {peaks["peer"]} MB; cache bytes: origin '
          f'{metric(aap, "plumtree_cache_bytes"):.0f}, peer {metric(bap, "plumtree_cache_bytes"):.0f}; cache evictions '
          f'origin {metric(aap, "plumtree_cache_evictions_total"):.0f}, peer {metric(bap, "plumtree_cache_evictions_total"):.0f}', flush=True)
finally:
    a.terminate(); b.terminate(); a.wait(10); b.wait(10)
