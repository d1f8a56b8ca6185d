//! When a connection pings, when it is called dead, and how often the I/O thread looks:
//! the three times that decide how soon a partitioned client says SUSPENDED, derived from
//! the negotiated session timeout in one place.
//!
//! Everything is counted from the moment the server last *provably* heard from us: the
//! sending of the newest request, ping or handshake whose reply came back (`Inner::heard_ms`).
//! The server restarts a session's timer when it receives a packet of it, and expires the
//! session `timeout` later, rounded up to its next expiry tick (ZooKeeper's `ExpiryQueue`
//! buckets of `tickTime`; an ensemble's leader learns of a follower's packets later still).
//! So for a session whose packets stop reaching the server, the server deletes its
//! ephemeral nodes, and someone else may take its lock, strictly after `heard + timeout`.
//! What the server sends us (a reply, a watch event) does not restart its timer, so it
//! moves nothing here.
//!
//! - SUSPENDED: the connection is called dead when nothing has been heard for
//!   `dead_after`, seen within `tick` of that, so at `heard + 2T/5 + tick` at the latest,
//!   which leaves the holder at least `3T/5 - tick` (at least 17T/30, more than half) before
//!   the server can delete its nodes.
//! - LOST: the client's own expiry comes at `heard + T`, never later than the server's.
//! - Pings keep `heard` fresh on an idle connection: one once nothing has been heard for
//!   `ping_after`, never two in flight (over TCP a second one tells us nothing the first
//!   does not). A healthy connection then hears from the server every `ping_after + tick`
//!   plus a round trip, so the server may be slow to answer by up to `T/5 - tick` (at least
//!   T/6, as before) before the connection is called dead for nothing.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Timing {
    /// The socket's read timeout: the I/O thread looks at least this often.
    pub(super) tick: Duration,
    /// Ping once nothing has been heard for this long.
    pub(super) ping_after: Duration,
    /// The connection is dead once nothing has been heard for this long.
    pub(super) dead_after: Duration,
}

impl Timing {
    pub(super) fn of(negotiated: Duration) -> Timing {
        Timing {
            tick: (negotiated / 30).clamp(Duration::from_millis(10), Duration::from_millis(500)),
            ping_after: negotiated / 5,
            dead_after: negotiated * 2 / 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn each_timeout() -> impl Iterator<Item = Duration> {
        // From the shortest a default server grants (2 ticks of 50 ms) to an hour.
        (100..=3_600_000u64)
            .step_by(37)
            .chain([100, 1000, 4000, 6000, 10_000, 30_000, 40_000])
            .map(Duration::from_millis)
    }

    #[test]
    fn a_holder_always_has_half_the_timeout_after_suspended() {
        for t in each_timeout() {
            let x = Timing::of(t);
            let suspended_by = x.dead_after + x.tick;
            assert!(t - suspended_by >= t / 2, "{t:?}: {x:?}");
        }
    }

    #[test]
    fn a_healthy_connection_tolerates_a_slow_server_as_long_as_before() {
        // Below 300 ms the tick's 10 ms floor eats into it: no server grants such sessions
        // but for tests.
        for t in each_timeout().filter(|t| *t >= Duration::from_millis(300)) {
            let x = Timing::of(t);
            let slack = x.dead_after - x.ping_after - x.tick;
            assert!(slack >= t / 6, "{t:?}: {x:?}");
        }
    }

    #[test]
    fn six_seconds() {
        assert_eq!(
            Timing::of(Duration::from_secs(6)),
            Timing {
                tick: Duration::from_millis(200),
                ping_after: Duration::from_millis(1200),
                dead_after: Duration::from_millis(2400),
            }
        );
    }
}
