// The GossipNode layer; see docs/ARCHITECTURE.md.
