// What the simulator's API takes and returns, so that `import GossipSimulator` alone is enough in a user's
// tests, with MemberImportVisibility on too: time and addresses, and the settings types the real node's
// configuration uses (GossipNodeConfiguration.membership and .plumtree), so a user simulates what they ship.
@_exported import ProtocolSupport
@_exported import struct Membership.MembershipConfig
@_exported import struct Plumtree.PlumtreeConfig
