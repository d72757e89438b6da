// The Membership layer; see docs/ARCHITECTURE.md.
