//! Pushing a new alert to the confirmed subscriptions of its regions, in the background, and
//! sending the confirmation push a new subscription must echo.
//!
//! Each device gets the alert envelope sealed to its own push key (`seal_for_device`, padded to a
//! size bucket), or the content-free wake-up when the sealed form would not fit a push message;
//! push providers see neither the alert nor where the device is.
//!
//! Fairness (one slow endpoint costs only its own delivery): every delivery is its own task.
//! Deliveries start in an order that takes one endpoint from each push service in turn, at most
//! [`MAX_IN_FLIGHT`] at once; a send that has not answered after [`SLOW_AFTER`] gives its place to
//! the next delivery and waits in a bounded slow lane ([`MAX_SLOW`], then it is abandoned) until
//! [`SEND_TIMEOUT`]. So endpoints that never answer hold at most `MAX_SLOW` connections and delay
//! the others by at most `SLOW_AFTER` per `MAX_IN_FLIGHT` of them. `Retry` answers are retried with
//! backoff (honouring the provider's delay, bounded), `Gone` deletes the subscription, anything
//! else counts as failed. Endpoints are never logged.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use silbato_proto::push::{CHALLENGE_LEN, seal_challenge, seal_for_device, wake_payload};
use silbato_store::Store;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::db::{self, Subscriber};
use crate::push::{self, Gateways, PushError, PushGateway};

/// Sends started and not yet slow, at once, per alert.
pub const MAX_IN_FLIGHT: usize = 128;
/// Sends still waiting for a slow endpoint, at once, per alert; more are abandoned.
pub const MAX_SLOW: usize = 1024;
/// After this long without an answer a send leaves its place to the next delivery.
pub const SLOW_AFTER: Duration = Duration::from_millis(200);
/// Push services carry about 4 KB; a larger sealed alert goes as a wake-up instead (see
/// [`payload_limit`] for providers that carry less).
pub const MAX_PUSH_PAYLOAD: usize = 4000;
/// Tries per subscription, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// The longest wait before a retry, whatever the provider asks.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(120);
/// The longest one send may take before it counts as failed (the gateways' own request timeout,
/// `[push] timeout_secs`, is usually shorter).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// Counters since the hub started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanoutStats {
    /// Alert fan-outs and confirmation pushes that have not finished.
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
    /// Sends that outlived [`SLOW_AFTER`] and moved to the slow lane.
    pub slow: u64,
    /// Confirmation pushes delivered to new subscriptions.
    pub confirmations: u64,
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

    /// Registers one confirmation push, before the subscription is answered.
    pub fn begin_confirmation(&self) {
        self.update(|s| s.jobs_in_flight += 1);
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

/// The push service a subscription goes through: the origin of a Web Push endpoint, or the
/// provider for FCM and APNs. Used only to order deliveries; never logged.
fn service_of(sub: &Subscriber) -> String {
    if sub.provider == "webpush"
        && let Ok(url) = silbato_proto::protocol::checked_url(&sub.endpoint)
    {
        return format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
    }
    sub.provider.clone()
}

/// One subscription of each push service in turn, so many subscriptions on one service (slow or
/// not) do not queue ahead of every other service's.
fn interleave(subs: Vec<Subscriber>) -> Vec<Subscriber> {
    let mut queues: Vec<(String, std::collections::VecDeque<Subscriber>)> = Vec::new();
    let total = subs.len();
    for sub in subs {
        let service = service_of(&sub);
        match queues.iter_mut().find(|(s, _)| *s == service) {
            Some((_, q)) => q.push_back(sub),
            None => queues.push((service, std::collections::VecDeque::from([sub]))),
        }
    }
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for (_, q) in &mut queues {
            if let Some(sub) = q.pop_front() {
                out.push(sub);
            }
        }
    }
    out
}

/// The places a send may hold: a fast one while it is quick, a slow one once it is not.
#[derive(Debug)]
struct Lanes {
    fast: Arc<Semaphore>,
    slow: Arc<Semaphore>,
}

impl Lanes {
    fn new() -> Lanes {
        Lanes {
            fast: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            slow: Arc::new(Semaphore::new(MAX_SLOW)),
        }
    }
}

/// Sends once, holding `fast` until the send answers or [`SLOW_AFTER`] passes, then a slow-lane
/// place (or gives up when the slow lane is full) until [`SEND_TIMEOUT`].
async fn send_fairly(
    gateway: &dyn PushGateway,
    endpoint: &str,
    payload: &[u8],
    fast: OwnedSemaphorePermit,
    lanes: &Lanes,
    tracker: &FanoutTracker,
) -> Result<(), PushError> {
    let send = gateway.send(endpoint, payload);
    tokio::pin!(send);
    if let Ok(r) = tokio::time::timeout(SLOW_AFTER, &mut send).await {
        return r;
    }
    drop(fast);
    tracker.update(|s| s.slow += 1);
    let Ok(_slow) = lanes.slow.clone().try_acquire_owned() else {
        return Err(PushError::Network);
    };
    tokio::time::timeout(SEND_TIMEOUT.saturating_sub(SLOW_AFTER), send)
        .await
        .unwrap_or(Err(PushError::Network))
}

enum Outcome {
    Sent { wakeup: bool },
    Failed,
    Gone(String),
}

/// Whether the hub may send to this subscription now (issue 12 item 17, checked again at send
/// time): a Web Push endpoint whose host is a non-public address literal is refused unless
/// `[egress] allow_private_endpoints`; names are checked by the gateway's resolver.
fn egress_allowed(sub: &Subscriber, allow_private: bool) -> bool {
    if sub.provider != "webpush" {
        return true;
    }
    silbato_proto::protocol::checked_url(&sub.endpoint)
        .is_ok_and(|url| crate::egress::check_url(&url, allow_private).is_ok())
}

/// One subscription's delivery, retries included.
async fn deliver(
    gateways: Gateways,
    envelope: Arc<Vec<u8>>,
    sub: Subscriber,
    lanes: Arc<Lanes>,
    tracker: Arc<FanoutTracker>,
    allow_private: bool,
) -> Outcome {
    let Some(gateway) = gateways.for_provider(&sub.provider) else {
        return Outcome::Failed;
    };
    if !egress_allowed(&sub, allow_private) {
        return Outcome::Failed;
    }
    let mut sealed: Option<(Vec<u8>, bool)> = None;
    let mut attempt = 0u32;
    loop {
        let Ok(fast) = lanes.fast.clone().acquire_owned().await else {
            return Outcome::Failed;
        };
        let (payload, wakeup) = sealed.get_or_insert_with(|| payload_for(&envelope, &sub));
        let wakeup = *wakeup;
        match send_fairly(
            gateway.as_ref(),
            &sub.endpoint,
            payload,
            fast,
            &lanes,
            &tracker,
        )
        .await
        {
            Ok(()) => return Outcome::Sent { wakeup },
            Err(PushError::Gone) => return Outcome::Gone(sub.endpoint),
            Err(PushError::Retry { after_secs }) if attempt + 1 < MAX_ATTEMPTS => {
                tracker.update(|s| s.retries += 1);
                tokio::time::sleep(backoff(attempt, after_secs)).await;
                attempt += 1;
            }
            Err(_) => return Outcome::Failed,
        }
    }
}

async fn delete_gone(store: Arc<Store>, gone: Vec<String>) {
    let deleted =
        tokio::task::spawn_blocking(move || db::delete_subscriptions(&store, &gone)).await;
    if !matches!(deleted, Ok(Ok(_))) {
        tracing::error!("could not delete gone push subscriptions");
    }
}

/// Delivers one alert to `subs`; returns when every delivery has finished or given up.
/// `allow_private`: `[egress] allow_private_endpoints`.
pub async fn run(
    store: Arc<Store>,
    gateways: Gateways,
    tracker: Arc<FanoutTracker>,
    envelope: Arc<Vec<u8>>,
    subs: Vec<Subscriber>,
    allow_private: bool,
) {
    let total = subs.len();
    let lanes = Arc::new(Lanes::new());
    let mut tasks: JoinSet<Outcome> = JoinSet::new();
    for sub in interleave(subs) {
        tasks.spawn(deliver(
            gateways.clone(),
            envelope.clone(),
            sub,
            lanes.clone(),
            tracker.clone(),
            allow_private,
        ));
        // Let the task queue on the semaphore in this order.
        tokio::task::yield_now().await;
    }
    let mut gone: Vec<String> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Outcome::Sent { wakeup }) => tracker.update(|s| {
                s.sent += 1;
                s.wakeups += u64::from(wakeup);
            }),
            Ok(Outcome::Gone(endpoint)) => gone.push(endpoint),
            Ok(Outcome::Failed) | Err(_) => tracker.update(|s| s.failed += 1),
        }
    }
    if !gone.is_empty() {
        let n = gone.len() as u64;
        delete_gone(store, gone).await;
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

/// Sends a new subscription its confirmation push: `challenge` sealed to its push key, padded
/// like an alert. Registered with `tracker` by [`FanoutTracker::begin_confirmation`] before the
/// subscription is answered. A gone endpoint's subscription is deleted.
pub async fn confirm(
    store: Arc<Store>,
    gateways: Gateways,
    tracker: Arc<FanoutTracker>,
    sub: Subscriber,
    challenge: [u8; CHALLENGE_LEN],
    allow_private: bool,
) {
    let outcome = match (
        gateways.for_provider(&sub.provider),
        seal_challenge(&challenge, &sub.push_key),
    ) {
        _ if !egress_allowed(&sub, allow_private) => Err(PushError::Rejected),
        (Some(gateway), Ok(payload)) => {
            tokio::time::timeout(SEND_TIMEOUT, gateway.send(&sub.endpoint, &payload))
                .await
                .unwrap_or(Err(PushError::Network))
        }
        _ => Err(PushError::NotConfigured),
    };
    match outcome {
        Ok(()) => tracker.update(|s| s.confirmations += 1),
        Err(PushError::Gone) => {
            delete_gone(store, vec![sub.endpoint]).await;
            tracker.update(|s| s.gone += 1);
        }
        Err(_) => tracker.update(|s| s.failed += 1),
    }
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
