import GossipNodeCore
import GossipRuntime
import ProtocolSupport

// Seeds given by name: the node core asks for their addresses at every join and retry, and the engine
// looks them up on libuv's thread pool, so that a slow DNS server never holds up the loop.
extension NodeEngine {
    func resolveSeed(host: String, port: UInt16) {
        // Weak: the answer can come after `stop()`, when the engine is on its way out.
        HostLookup.resolve(host, on: loop) { [weak self] result in
            guard let self, !self.stopped else { return }
            let answer = result.mapError(Self.seedFailure)
            switch answer {
            case .success(let addresses):
                logger.debug("seed resolved", metadata: [
                    "seed": "\(host):\(port)", "addresses": "\(addresses.map(\.host).joined(separator: ","))",
                ])
            case .failure(let failure):
                // Rate-limited: a name that stays unknown is retried every 30 s for as long as the node is alone.
                rateLimiter.log(logger, level: .warning, key: "seed-unresolved-\(host)", now: loop.now, "seed did not resolve",
                                metadata: ["seed": "\(host):\(port)", "reason": "\(failure.reason.rawValue)", "detail": "\(failure.detail)"])
            }
            core.seedResolved(host: host, port: port, result: answer, now: loop.now, into: &outputs)
            carryOut()
        }
    }

    private static func seedFailure(_ error: HostLookupError) -> SeedResolutionFailure {
        let reason: SeedResolutionFailure.Reason = switch error.kind {
        case .notFound: .notFound
        case .temporaryFailure: .temporaryFailure
        case .noAddress: .noAddress
        case .cancelled, .failed: .failed
        }
        return SeedResolutionFailure(reason: reason, detail: error.reason)
    }
}
