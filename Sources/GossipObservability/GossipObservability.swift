// The GossipObservability layer; see docs/ARCHITECTURE.md.
