//! Per-client token buckets, in memory only.
//!
//! A client is its peer address (an IPv6 client is its /64, since one host can hold a whole
//! /64). The addresses are map keys and nothing else: never logged, never stored on disk, and
//! forgotten once their bucket is full again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    /// Bucket size: a client may burst up to a minute's allowance.
    capacity: f64,
    /// Tokens per second.
    rate: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// The key for a peer: IPv4 as is, IPv6 by its /64 (IPv4-mapped IPv6 as IPv4).
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut seg = v6.segments();
            for s in &mut seg[4..] {
                *s = 0;
            }
            IpAddr::V6(seg.into())
        }
    }
}

impl RateLimiter {
    pub fn new(requests_per_minute: u32) -> RateLimiter {
        let capacity = f64::from(requests_per_minute.max(1));
        RateLimiter {
            capacity,
            rate: capacity / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip`; `Err(seconds)` says when the next one will be there.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = buckets.entry(client_key(ip)).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / self.rate).ceil();
            // Bounded by 60 s / 1 token at the slowest rate.
            Err(if wait.is_finite() && wait >= 1.0 {
                wait as u64
            } else {
                1
            })
        }
    }

    /// Forgets clients whose bucket has refilled: they are indistinguishable from new ones.
    pub fn prune(&self, now: Instant) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (rate, capacity) = (self.rate, self.capacity);
        buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < capacity
        });
    }

    /// How many clients are remembered right now.
    pub fn tracked(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

/// Bytes of sealed reports each client key left in the current day, in memory only (a restart
/// forgets them, as it forgets rate limits). Clients are forgotten when their day is over.
#[derive(Debug)]
pub struct ReportQuota {
    per_day: u64,
    used: Mutex<HashMap<IpAddr, (u64, Instant)>>,
}

const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);

impl ReportQuota {
    pub fn new(bytes_per_day: u64) -> ReportQuota {
        ReportQuota {
            per_day: bytes_per_day,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `bytes` for `ip` if they fit in its day's allowance; false (nothing counted) if not.
    pub fn take(&self, ip: IpAddr, bytes: u64, now: Instant) -> bool {
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = used.entry(client_key(ip)).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= DAY {
            *entry = (0, now);
        }
        if entry.0.saturating_add(bytes) > self.per_day {
            return false;
        }
        entry.0 += bytes;
        true
    }

    /// Gives back bytes counted for a report that was then not stored.
    pub fn give_back(&self, ip: IpAddr, bytes: u64) {
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = used.get_mut(&client_key(ip)) {
            entry.0 = entry.0.saturating_sub(bytes);
        }
    }

    pub fn prune(&self, now: Instant) {
        self.used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, (_, since)| now.saturating_duration_since(*since) < DAY);
    }
}

/// Nonces of signed dispatcher requests seen within the validity window, in memory only: a
/// request whose nonce is here is a replay. Each is kept until its request's date is outside the
/// window, after which the date check refuses the request anyway.
#[derive(Debug, Default)]
pub struct NonceCache {
    seen: Mutex<HashMap<String, i64>>,
}

/// Most nonces remembered at once; beyond it new signed requests wait (`503`) for old ones to
/// age out. Only requests with a valid dispatcher signature get this far.
pub const MAX_NONCES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    Fresh,
    Replayed,
    Full,
}

impl NonceCache {
    /// Remembers `nonce` until `forget_after` (Unix seconds), unless it is already remembered.
    pub fn check(&self, nonce: &str, forget_after: i64, now: i64) -> NonceCheck {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(until) = seen.get(nonce)
            && *until >= now
        {
            return NonceCheck::Replayed;
        }
        if seen.len() >= MAX_NONCES {
            seen.retain(|_, until| *until >= now);
            if seen.len() >= MAX_NONCES {
                return NonceCheck::Full;
            }
        }
        seen.insert(nonce.to_owned(), forget_after);
        NonceCheck::Fresh
    }

    pub fn prune(&self, now: i64) {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, until| *until >= now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_and_are_forgotten() {
        let rl = RateLimiter::new(60);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(rl.check(ip, t0).is_ok());
        }
        assert_eq!(rl.check(ip, t0), Err(1));
        assert!(rl.check(other, t0).is_ok(), "clients are separate");
        assert!(
            rl.check(ip, t0 + Duration::from_secs(1)).is_ok(),
            "one token a second"
        );
        rl.prune(t0 + Duration::from_secs(120));
        assert_eq!(rl.tracked(), 0);
    }

    #[test]
    fn ipv6_clients_are_their_slash_64() {
        let rl = RateLimiter::new(1);
        let t0 = Instant::now();
        assert!(rl.check("2001:db8:1:2::1".parse().unwrap(), t0).is_ok());
        assert!(rl.check("2001:db8:1:2::ffff".parse().unwrap(), t0).is_err());
        assert!(rl.check("2001:db8:1:3::1".parse().unwrap(), t0).is_ok());
        let wait = rl
            .check("2001:db8:1:2::1".parse().unwrap(), t0)
            .unwrap_err();
        assert!((1..=60).contains(&wait));
    }

    #[test]
    fn report_quota_is_per_client_and_per_day() {
        let q = ReportQuota::new(100);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        assert!(q.take(a, 60, t0));
        assert!(!q.take(a, 60, t0));
        assert!(q.take(b, 60, t0));
        q.give_back(a, 60);
        assert!(q.take(a, 100, t0));
        assert!(q.take(a, 100, t0 + DAY));
    }

    #[test]
    fn nonces_are_refused_twice_within_their_window() {
        let c = NonceCache::default();
        assert_eq!(c.check("n1", 100, 0), NonceCheck::Fresh);
        assert_eq!(c.check("n1", 100, 50), NonceCheck::Replayed);
        assert_eq!(c.check("n2", 100, 50), NonceCheck::Fresh);
        c.prune(101);
        assert_eq!(c.check("n1", 300, 101), NonceCheck::Fresh);
    }
}
