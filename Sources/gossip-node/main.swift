print("gossip-node: not yet wired")
