// The GossipRuntime layer; see docs/ARCHITECTURE.md.
