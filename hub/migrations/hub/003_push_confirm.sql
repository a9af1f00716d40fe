-- Push subscriptions are signed, confirmed and capped per client (issue 12, items 16 and 18).
--
-- `sign_key`: the device's Ed25519 subscription key (text form `ed25519:...`); every later change
-- or deletion must be signed by it. NULL for subscriptions made before signing existed: the first
-- signed request for such an endpoint re-registers it from scratch (with a new confirmation).
ALTER TABLE push_subscriptions ADD COLUMN sign_key TEXT;
-- 1 once the device echoed the confirmation push's challenge; only confirmed subscriptions get
-- alerts. Subscriptions made before confirmation existed keep counting.
ALTER TABLE push_subscriptions ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1 CHECK (confirmed IN (0, 1));
-- SHA-256 of the pending challenge (the challenge itself is never stored), and when an
-- unconfirmed subscription is forgotten (Unix seconds).
ALTER TABLE push_subscriptions ADD COLUMN challenge BLOB;
ALTER TABLE push_subscriptions ADD COLUMN challenge_expires INTEGER;
-- A keyed hash of the client that created the subscription, under a secret the hub keeps in memory
-- only (new at every start), so it counts subscriptions per client without storing an address.
ALTER TABLE push_subscriptions ADD COLUMN client_tag BLOB;
-- The signed date of the last accepted request (Unix seconds): an older signed request is stale.
ALTER TABLE push_subscriptions ADD COLUMN signed_at INTEGER NOT NULL DEFAULT 0;

CREATE INDEX push_subscriptions_client ON push_subscriptions (client_tag) WHERE client_tag IS NOT NULL;
CREATE INDEX push_subscriptions_pending ON push_subscriptions (challenge_expires) WHERE confirmed = 0;
