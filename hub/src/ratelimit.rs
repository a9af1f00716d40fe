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
fn client_key(ip: IpAddr) -> IpAddr {
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
}
