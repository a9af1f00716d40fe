-- inbox.db version 5: the outbox holds only ciphertext under the inbox key (which the panic wipe
-- destroys first), so a queued report's network, size and times cannot be read without it.
--
-- Each row is an opaque id (the report's idempotency key, a hash of the sealed report) and one
-- blob: ChaCha20-Poly1305(inbox key, aad = table/id/v5) over the padded JSON of the network, the
-- times, the attempts, the last error and the sealed report. SQL cannot encrypt: the version 3
-- table is kept as `outbox_v3` and the inbox seals its rows and drops it when it next opens with
-- its key (core/src/inbox/outbox.rs).

ALTER TABLE outbox RENAME TO outbox_v3;

CREATE TABLE outbox (
    id     TEXT PRIMARY KEY,   -- the idempotency key: opaque
    sealed BLOB NOT NULL       -- everything else, sealed and padded to a size bucket
);
