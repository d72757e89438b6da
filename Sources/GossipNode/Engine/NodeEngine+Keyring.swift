import GossipNodeCore
import GossipObservability
import Logging
import MemberlistWire

// Keyring operations on the loop: started here, reported when the core's query ends, and every change to
// this node's keyring logged whoever asked for it.
extension NodeEngine {
    func changeKeyring(_ operation: KeyringOperation, completion: @escaping (KeyringReport) -> Void) {
        guard !stopped, !core.isLeft else {
            return completion(KeyringReport(operation: operation, members: 0, answers: []))
        }
        let id = core.changeKeyring(operation, now: loop.now, into: &outputs)
        keyringWaiters[id] = (operation, completion)
        carryOut()
    }

    func logKeyringChange(_ change: KeyringChange) {
        var metadata: [String: Logger.MetadataValue] = [
            "operation": "\(change.operation.verb)", "requested_by": "\(change.requestedBy ?? "this node")",
        ]
        // A key's fingerprint, never the key: enough to tell keys apart in a log without leaking one.
        if let key = change.operation.key { metadata["key"] = "\(KeyFingerprint.of(key))" }
        if let failure = change.failure {
            metadata["reason"] = "\(failure)"
            log(.keyringChangeFailed, metadata)
        } else {
            log(.keyringChanged, metadata)
            persistKeyring()
        }
    }

    /// Writes the keyring back to `keyring_file` after a change, as serf does; a failure is logged, the
    /// change itself stands (it is in effect in memory until the next restart).
    private func persistKeyring() {
        guard let path = configuration.keyringFile, !core.keyringKeys.isEmpty else { return }
        do {
            try KeyringFile.write(core.keyringKeys, to: path)
        } catch {
            logger.error("keyring file not written: the change holds until the agent restarts", metadata: ["error": "\(error)"])
        }
    }
}
