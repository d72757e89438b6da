// Addresses and time appear throughout the node's API, and its configuration holds the cores' settings
// (GossipNodeConfiguration.membership and .plumtree): embedders get them with `import GossipNode` alone, with
// MemberImportVisibility on too.
@_exported import ProtocolSupport
@_exported import struct Membership.MembershipConfig
@_exported import struct Plumtree.PlumtreeConfig
