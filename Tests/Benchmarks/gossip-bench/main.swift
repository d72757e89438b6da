print("gossip-bench: not yet wired")
