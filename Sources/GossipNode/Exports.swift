// Addresses and time appear throughout the node's API, its configuration holds the cores' settings
// (GossipNodeConfiguration.membership and .plumtree), keys travel as base64 text (Base64), and keyring
// reports are the node core's: embedders get them with `import GossipNode` alone, with MemberImportVisibility
// on too.
@_exported import ProtocolSupport
@_exported import struct Membership.MembershipConfig
@_exported import struct Plumtree.PlumtreeConfig
@_exported import enum MemberlistWire.Base64
@_exported import enum GossipNodeCore.KeyringOperation
@_exported import struct GossipNodeCore.KeyringReport
@_exported import struct GossipNodeCore.KeyringAnswer
@_exported import struct Plumtree.BroadcastTreeView
