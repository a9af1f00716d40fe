//! Pushing a new alert to the subscriptions of its regions, in the background.
//!
//! Each device gets the alert envelope sealed to its own push key (`seal_for_device`), or the
//! content-free wake-up when the sealed form would not fit a push message; push providers see
//! neither the alert nor where the device is. At most [`MAX_IN_FLIGHT`] sends run at once;
//! `Retry` answers are retried with backoff (honouring the provider's delay, bounded), `Gone`
//! deletes the subscription, anything else counts as failed. Endpoints are never logged.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use silbato_proto::push::{seal_for_device, wake_payload};
use silbato_store::Store;
use tokio::task::JoinSet;

use crate::db::{self, Subscriber};
use crate::push::{self, Gateways, PushError};

/// Sends in flight at once, per alert.
pub const MAX_IN_FLIGHT: usize = 64;
/// Push services carry about 4 KB; a larger sealed alert goes as a wake-up instead (see
/// [`payload_limit`] for providers that carry less).
pub const MAX_PUSH_PAYLOAD: usize = 4000;
/// Tries per subscription, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// The longest wait before a retry, whatever the provider asks.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(120);
/// The longest one send may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// Counters since the hub started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanoutStats {
    /// Alerts whose fan-out has not finished.
    pub jobs_in_flight: u64,
    /// Deliveries queued (one per matching subscription per alert).
    pub queued: u64,
    pub sent: u64,
    /// Of `sent`, how many were wake-ups because the sealed alert was too large.
    pub wakeups: u64,
    pub failed: u64,
    /// Subscriptions deleted because the provider said the endpoint is gone.
    pub gone: u64,
    pub retries: u64,
}

/// Fan-out counters and a way to wait until no fan-out is running.
#[derive(Debug, Default)]
pub struct FanoutTracker {
    stats: Mutex<FanoutStats>,
    idle: Condvar,
}

impl FanoutTracker {
    fn update(&self, f: impl FnOnce(&mut FanoutStats)) {
        let mut s = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut s);
        if s.jobs_in_flight == 0 {
            self.idle.notify_all();
        }
    }

    pub fn stats(&self) -> FanoutStats {
        *self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers one alert's fan-out; called before the POST answers, so a caller that waits
    /// for idleness after the answer waits for this one too.
    pub fn begin(&self, deliveries: u64) {
        self.update(|s| {
            s.jobs_in_flight += 1;
            s.queued += deliveries;
        });
    }

    fn end(&self) {
        self.update(|s| s.jobs_in_flight = s.jobs_in_flight.saturating_sub(1));
    }

    /// Blocks the calling (non-async) thread until no fan-out is running or `timeout` passes;
    /// true if idle.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut s = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while s.jobs_in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            s = match self.idle.wait_timeout(s, left) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

struct Delivery {
    sub: Subscriber,
    /// Sealed on the first attempt, reused for retries; true for a wake-up.
    payload: Option<(Arc<Vec<u8>>, bool)>,
    attempt: u32,
}

enum Outcome {
    Sent { wakeup: bool },
    Failed,
    Gone(String),
    Retry(Delivery, Duration),
}

/// The largest payload worth sealing for `provider`: 4000 bytes, or less where the provider
/// carries less (FCM and APNs base64 the payload inside a 4 KiB message).
pub fn payload_limit(provider: &str) -> usize {
    push::max_payload(provider).map_or(MAX_PUSH_PAYLOAD, |m| m.min(MAX_PUSH_PAYLOAD))
}

fn payload_for(envelope: &[u8], sub: &Subscriber) -> (Vec<u8>, bool) {
    match seal_for_device(envelope, &sub.push_key) {
        Ok(p) if p.len() <= payload_limit(&sub.provider) => (p, false),
        _ => (wake_payload(), true),
    }
}

fn backoff(attempt: u32, asked: Option<u64>) -> Duration {
    let d = match asked {
        Some(secs) => Duration::from_secs(secs),
        None => Duration::from_millis(500u64.saturating_mul(1u64 << attempt.min(16))),
    };
    d.min(MAX_RETRY_DELAY)
}

async fn deliver(gateways: Gateways, envelope: Arc<Vec<u8>>, mut d: Delivery) -> Outcome {
    let (payload, wakeup) = match &d.payload {
        Some((p, w)) => (p.clone(), *w),
        None => {
            let (p, w) = payload_for(&envelope, &d.sub);
            (Arc::new(p), w)
        }
    };
    let Some(gateway) = gateways.for_provider(&d.sub.provider) else {
        return Outcome::Failed;
    };
    let result = tokio::time::timeout(SEND_TIMEOUT, gateway.send(&d.sub.endpoint, &payload)).await;
    match result {
        Ok(Ok(())) => Outcome::Sent { wakeup },
        Ok(Err(PushError::Gone)) => Outcome::Gone(d.sub.endpoint),
        Ok(Err(PushError::Retry { after_secs })) if d.attempt + 1 < MAX_ATTEMPTS => {
            let delay = backoff(d.attempt, after_secs);
            d.attempt += 1;
            d.payload = Some((payload, wakeup));
            Outcome::Retry(d, delay)
        }
        _ => Outcome::Failed,
    }
}

/// Delivers one alert to `subs`; returns when every delivery has finished or given up.
pub async fn run(
    store: Arc<Store>,
    gateways: Gateways,
    tracker: Arc<FanoutTracker>,
    envelope: Arc<Vec<u8>>,
    subs: Vec<Subscriber>,
) {
    let total = subs.len();
    let mut fresh = subs.into_iter();
    let mut ready: VecDeque<Delivery> = VecDeque::new();
    let mut sending: JoinSet<Outcome> = JoinSet::new();
    let mut waiting: JoinSet<Delivery> = JoinSet::new();
    let mut gone: Vec<String> = Vec::new();
    loop {
        while sending.len() < MAX_IN_FLIGHT {
            let next = ready.pop_front().or_else(|| {
                fresh.next().map(|sub| Delivery {
                    sub,
                    payload: None,
                    attempt: 0,
                })
            });
            let Some(d) = next else { break };
            sending.spawn(deliver(gateways.clone(), envelope.clone(), d));
        }
        if sending.is_empty() && waiting.is_empty() {
            break;
        }
        tokio::select! {
            Some(done) = sending.join_next(), if !sending.is_empty() => {
                match done {
                    Ok(Outcome::Sent { wakeup }) => tracker.update(|s| {
                        s.sent += 1;
                        s.wakeups += u64::from(wakeup);
                    }),
                    Ok(Outcome::Gone(endpoint)) => gone.push(endpoint),
                    Ok(Outcome::Retry(d, delay)) => {
                        tracker.update(|s| s.retries += 1);
                        waiting.spawn(async move {
                            tokio::time::sleep(delay).await;
                            d
                        });
                    }
                    Ok(Outcome::Failed) | Err(_) => tracker.update(|s| s.failed += 1),
                }
            }
            Some(d) = waiting.join_next(), if !waiting.is_empty() => {
                match d {
                    Ok(d) => ready.push_back(d),
                    Err(_) => tracker.update(|s| s.failed += 1),
                }
            }
        }
    }
    if !gone.is_empty() {
        let n = gone.len() as u64;
        let store = store.clone();
        let deleted =
            tokio::task::spawn_blocking(move || db::delete_subscriptions(&store, &gone)).await;
        if !matches!(deleted, Ok(Ok(_))) {
            tracing::error!("could not delete gone push subscriptions");
        }
        tracker.update(|s| s.gone += n);
    }
    let stats = tracker.stats();
    tracing::info!(
        deliveries = total,
        sent_total = stats.sent,
        failed_total = stats.failed,
        "alert fan-out finished"
    );
    tracker.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_honours_the_provider() {
        assert_eq!(backoff(0, None), Duration::from_millis(500));
        assert_eq!(backoff(2, None), Duration::from_secs(2));
        assert_eq!(backoff(30, None), MAX_RETRY_DELAY);
        assert_eq!(backoff(0, Some(7)), Duration::from_secs(7));
        assert_eq!(backoff(0, Some(86_400)), MAX_RETRY_DELAY);
    }

    #[test]
    fn payload_limits_follow_the_provider() {
        assert_eq!(payload_limit("webpush"), MAX_PUSH_PAYLOAD);
        assert!(payload_limit("fcm") < MAX_PUSH_PAYLOAD);
        assert!(payload_limit("apns") < MAX_PUSH_PAYLOAD);
        assert_eq!(payload_limit("other"), MAX_PUSH_PAYLOAD);
    }

    #[test]
    fn waiting_for_idle() {
        let t = FanoutTracker::default();
        assert!(t.wait_idle(Duration::from_millis(1)));
        t.begin(3);
        assert!(!t.wait_idle(Duration::from_millis(10)));
        t.end();
        assert!(t.wait_idle(Duration::from_millis(1)));
        assert_eq!(t.stats().queued, 3);
    }
}
