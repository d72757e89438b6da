import ProtocolSupport

// Recovering announced but missing payloads: Graft the first announcer after graft_timeout, then the
// others in turn with doubling delays (capped), and give up after graft_max_retries retries.

extension PlumtreeCore {
    mutating func fireGraftTimers(now: Instant, into output: inout [PlumtreeOutput]) {
        while let (deadline, id) = graftTimers.popDue(now: now) {
            // Timers of messages that arrived meanwhile, or that were rescheduled, are stale.
            guard var entry = missing[id], entry.deadline == deadline else { continue }
            if entry.attempts > config.graftMaxRetries || entry.announcers.isEmpty {
                missing[id] = nil
                counters.graftFailures += 1
                metrics.graftFailed.increment()
                metrics.pendingGrafts.record(missing.count)
                output.append(.graft(.failed(id: id, attempts: entry.attempts)))
                wantThroughAntiEntropy(id, now: now)
                continue
            }
            let announcer = entry.announcers[entry.attempts % entry.announcers.count]
            send(.graft(id: id, round: announcer.round), to: announcer.peer, into: &output)
            output.append(.graft(.sent(id: id, to: peers[announcer.peer].name, attempt: entry.attempts + 1)))
            counters.graftsSent += 1
            metrics.graftSent.increment()
            if entry.attempts == 0 {
                entry.firstGraftAt = now
            } else {
                metrics.graftRetries.increment()
            }
            promote(announcer.peer, into: &output)
            entry.attempts += 1
            entry.deadline = now + retryDelay(afterAttempt: entry.attempts)
            missing[id] = entry
            graftTimers.push(entry.deadline, id)
        }
    }

    /// graft_timeout doubled per attempt already made, capped at the backoff limit.
    func retryDelay(afterAttempt attempts: Int) -> Duration {
        let base = config.graftTimeout.nanosecondsClamped
        let limit = config.graftBackoffLimit.nanosecondsClamped
        let shift = min(attempts - 1, 30)
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << Int64(max(0, shift)))
        return .nanoseconds(overflow ? limit : min(scaled, limit))
    }
}
