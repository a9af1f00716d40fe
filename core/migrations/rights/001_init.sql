-- rights.db: public know-your-rights content. Rebuildable from the bundled pack.

CREATE TABLE publishers (
    public_key TEXT PRIMARY KEY,          -- ed25519:...
    name       TEXT NOT NULL,
    added_at   INTEGER NOT NULL           -- unix seconds
);

CREATE TABLE packs (
    pack_id        TEXT PRIMARY KEY,
    publisher      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    issued         TEXT NOT NULL,
    bundled        INTEGER NOT NULL,      -- 1 for the pack compiled into the app
    signer         TEXT,                  -- ed25519:... of the key that signed it; NULL when bundled
    payload_sha256 TEXT NOT NULL,
    installed_at   INTEGER NOT NULL
);

CREATE TABLE languages (
    pack_id    TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    complete   INTEGER NOT NULL,
    disclaimer TEXT NOT NULL,
    labels     TEXT NOT NULL,             -- JSON object
    PRIMARY KEY (pack_id, code)
);

CREATE TABLE categories (
    pack_id TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    id      TEXT NOT NULL,
    ord     INTEGER NOT NULL,
    names   TEXT NOT NULL,                -- JSON object: language -> name
    PRIMARY KEY (pack_id, id)
);

CREATE TABLE sources (
    pack_id   TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    id        TEXT NOT NULL,
    title     TEXT NOT NULL,
    publisher TEXT NOT NULL,
    url       TEXT NOT NULL,
    PRIMARY KEY (pack_id, id)
);

CREATE TABLE cards (
    pack_id       TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    category      TEXT NOT NULL,
    ord           INTEGER NOT NULL,
    tags          TEXT NOT NULL,          -- JSON array
    last_reviewed TEXT NOT NULL,
    sources       TEXT NOT NULL,          -- JSON array of source ids
    PRIMARY KEY (pack_id, id)
);

CREATE TABLE card_texts (
    rowid      INTEGER PRIMARY KEY,       -- shared with card_fts
    pack_id    TEXT NOT NULL,
    card_id    TEXT NOT NULL,
    lang       TEXT NOT NULL,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL,
    body       TEXT NOT NULL,             -- Markdown subset
    say        TEXT NOT NULL,             -- JSON array
    show_agent TEXT NOT NULL,
    card_langs TEXT NOT NULL,             -- ",en,es,": every language this card has, for fallback
    UNIQUE (pack_id, card_id, lang),
    FOREIGN KEY (pack_id, card_id) REFERENCES cards(pack_id, id) ON DELETE CASCADE
);
CREATE INDEX card_texts_card ON card_texts(pack_id, card_id);

CREATE TABLE hotlines (
    pack_id   TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    region    TEXT NOT NULL,
    name      TEXT NOT NULL,
    number    TEXT NOT NULL,
    hours     TEXT,
    languages TEXT NOT NULL,              -- JSON array
    source    TEXT NOT NULL,
    PRIMARY KEY (pack_id, ord)
);

-- Search index: one row per card translation, rowid = card_texts.rowid. Diacritics folded
-- (policia finds policía); prefix indexes make `term*` queries cheap.
CREATE VIRTUAL TABLE card_fts USING fts5(
    title, summary, body, say, show_agent, tags,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
-- Column weights for ranking: a match in a title counts ten times one in the body.
INSERT INTO card_fts (card_fts, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 3.0, 1.0, 4.0)');
