// The cluster simulator; see docs/ARCHITECTURE.md.
