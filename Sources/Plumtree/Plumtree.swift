// The Plumtree layer; see docs/ARCHITECTURE.md.
