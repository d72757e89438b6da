print("plumtree-sim: not yet wired")
