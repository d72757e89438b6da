// Addresses and time appear throughout the node's API; embedders get them with `import GossipNode` alone.
@_exported import ProtocolSupport
