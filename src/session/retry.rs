//! Retry arithmetic shared by the connection retry (passes over the host list) and the
//! command retry (re-running an idempotent call after CONNECTIONLOSS). Semantics follow
//! kazoo's `KazooRetry`: each sleep is `delay * U(1-jitter, 1+jitter)`, the next delay is
//! `min(sleep * backoff, max_delay)`, tries are counted, and a deadline stops the loop when
//! the next sleep would cross it.

use std::time::{Duration, Instant};

/// A retry policy. `max_tries: None` retries forever.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// How many attempts in all (1 = no retry); `None` = unbounded.
    pub max_tries: Option<u32>,
    /// The first delay.
    pub delay: Duration,
    /// Factor applied to the delay after each sleep.
    pub backoff: f64,
    /// Relative jitter in [0, 1): 0.4 means each sleep is 60 %..140 % of the delay.
    pub max_jitter: f64,
    /// Ceiling of the delay.
    pub max_delay: Duration,
    /// Total time allowed from the first attempt; `None` = no limit.
    pub deadline: Option<Duration>,
}

impl RetryPolicy {
    /// kazoo's default for connection retries: unbounded tries, 0.1 s doubling, 40 % jitter.
    /// The ceiling is 60 s rather than kazoo's 3,600 s: an hour between passes over the host
    /// list leaves a client offline long after its servers are back.
    pub const fn connection_default() -> RetryPolicy {
        RetryPolicy {
            max_tries: None,
            delay: Duration::from_millis(100),
            backoff: 2.0,
            max_jitter: 0.4,
            max_delay: Duration::from_secs(60),
            deadline: None,
        }
    }

    /// Default command retry: a few quick tries, bounded by the call's own deadline anyway.
    pub const fn command_default() -> RetryPolicy {
        RetryPolicy {
            max_tries: Some(3),
            delay: Duration::from_millis(100),
            backoff: 2.0,
            max_jitter: 0.4,
            max_delay: Duration::from_secs(2),
            deadline: None,
        }
    }

    /// No retry at all.
    pub const fn none() -> RetryPolicy {
        RetryPolicy {
            max_tries: Some(1),
            delay: Duration::ZERO,
            backoff: 1.0,
            max_jitter: 0.0,
            max_delay: Duration::ZERO,
            deadline: None,
        }
    }

    /// Checks the numbers a C caller may get wrong.
    pub fn validate(&self) -> crate::error::Result<()> {
        let ok = self.max_tries != Some(0)
            && self.backoff.is_finite()
            && self.backoff >= 1.0
            && self.max_jitter.is_finite()
            && (0.0..1.0).contains(&self.max_jitter);
        if ok {
            Ok(())
        } else {
            Err(crate::error::Error::InvalidArgument)
        }
    }

    /// A fresh counter for one retry loop, its jitter seeded afresh.
    pub(crate) fn start_seeded(&self) -> Backoff {
        self.start(Rng::seed())
    }

    /// A fresh counter for one retry loop.
    pub(crate) fn start(&self, seed: u64) -> Backoff {
        Backoff {
            policy: *self,
            tries: 0,
            cur_delay: self.delay,
            started: Instant::now(),
            rng: Rng::new(seed),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::connection_default()
    }
}

/// The state of one retry loop.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    tries: u32,
    cur_delay: Duration,
    started: Instant,
    rng: Rng,
}

impl Backoff {
    /// Records a failed attempt and returns how long to sleep before the next one, or `None`
    /// when the policy says stop (tries used up, or the sleep would cross the deadline).
    pub fn next_delay(&mut self) -> Option<Duration> {
        self.tries = self.tries.saturating_add(1);
        if let Some(max) = self.policy.max_tries {
            if self.tries >= max {
                return None;
            }
        }
        let j = self.policy.max_jitter;
        let factor = 1.0 - j + self.rng.unit() * 2.0 * j;
        let sleep = self
            .cur_delay
            .mul_f64(factor.max(0.0))
            .min(self.policy.max_delay.max(self.policy.delay));
        if let Some(limit) = self.policy.deadline {
            if self.started.elapsed() + sleep > limit {
                return None;
            }
        }
        let next = sleep.mul_f64(self.policy.backoff);
        self.cur_delay = next.min(self.policy.max_delay.max(self.policy.delay));
        Some(sleep)
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.tries = 0;
        self.cur_delay = self.policy.delay;
        self.started = Instant::now();
    }
}

/// xorshift64*: jitter and host shuffling need spread, not secrecy, and no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// A seed that differs between clients and runs.
    pub fn seed() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish()
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); n > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(tries: Option<u32>, jitter: f64) -> RetryPolicy {
        RetryPolicy {
            max_tries: tries,
            delay: Duration::from_millis(100),
            backoff: 2.0,
            max_jitter: jitter,
            max_delay: Duration::from_millis(700),
            deadline: None,
        }
    }

    #[test]
    fn without_jitter_delays_double_up_to_the_ceiling() {
        let mut b = policy(None, 0.0).start(1);
        let got: Vec<u128> = (0..6)
            .map(|_| b.next_delay().unwrap().as_millis())
            .collect();
        assert_eq!(got, vec![100, 200, 400, 700, 700, 700]);
    }

    #[test]
    fn max_tries_counts_attempts_in_all() {
        let mut b = policy(Some(3), 0.0).start(1);
        assert!(b.next_delay().is_some());
        assert!(b.next_delay().is_some());
        assert!(b.next_delay().is_none());
        b.reset();
        assert!(b.next_delay().is_some());
        assert!(RetryPolicy::none().start(1).next_delay().is_none());
    }

    #[test]
    fn jitter_stays_within_bounds_and_varies() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..200 {
            let mut b = policy(None, 0.4).start(seed);
            let d = b.next_delay().unwrap().as_millis();
            assert!((60..=140).contains(&d), "{d}");
            seen.insert(d);
        }
        assert!(seen.len() > 20);
    }

    #[test]
    fn deadline_stops_the_loop_before_crossing_it() {
        let mut p = policy(None, 0.0);
        p.deadline = Some(Duration::from_millis(250));
        let mut b = p.start(1);
        assert_eq!(b.next_delay(), Some(Duration::from_millis(100)));
        assert_eq!(b.next_delay(), Some(Duration::from_millis(200)));
        assert_eq!(b.next_delay(), None);
    }

    #[test]
    fn validate_rejects_nonsense() {
        assert!(policy(Some(0), 0.0).validate().is_err());
        assert!(policy(None, 1.0).validate().is_err());
        assert!(policy(None, f64::NAN).validate().is_err());
        let mut p = policy(None, 0.0);
        p.backoff = 0.5;
        assert!(p.validate().is_err());
        assert!(RetryPolicy::connection_default().validate().is_ok());
    }
}
