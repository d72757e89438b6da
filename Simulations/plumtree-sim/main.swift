// The cluster simulator's command line; see docs/SIMULATOR.md.
print("plumtree-sim: scenarios arrive with the protocol cores")
