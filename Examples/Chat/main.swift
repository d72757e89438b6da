print("gossip-chat: not yet wired")
