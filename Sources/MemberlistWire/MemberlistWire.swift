// The MemberlistWire layer; see docs/ARCHITECTURE.md.
