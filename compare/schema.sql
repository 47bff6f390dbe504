-- narrative-compare store schema. Everything is created if missing; `meta.schema_version` records
-- the version this file describes. A store with another version is refused (see store.py).
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS documents (
    doc_id         VARCHAR PRIMARY KEY,  -- input's id, else sha256(text)[:16]
    event_id       VARCHAR NOT NULL,
    source         VARCHAR,              -- outlet / publisher, in full
    label          VARCHAR,              -- short name the report shows ("Beijing (MFA)"); NULL = source cut at the end
    source_kind    VARCHAR,              -- readout, statement, wire, newspaper, ...
    title          VARCHAR,
    date           VARCHAR,              -- ISO 8601 date as given
    lang           VARCHAR,
    url            VARCHAR,
    text           VARCHAR NOT NULL,     -- cleaned main text; claim offsets index into it
    content_sha256 VARCHAR NOT NULL,
    path           VARCHAR,              -- file it came from (row number appended for tables)
    metadata       VARCHAR               -- JSON object of other input keys
);

CREATE TABLE IF NOT EXISTS claims (
    claim_id         VARCHAR PRIMARY KEY,
    doc_id           VARCHAR NOT NULL,
    event_id         VARCHAR NOT NULL,
    position         INTEGER NOT NULL,   -- 0-based reading order in the document
    char_start       INTEGER NOT NULL,   -- documents.text[char_start:char_end] == text
    char_end         INTEGER NOT NULL,
    text             VARCHAR NOT NULL,
    speaker          VARCHAR,            -- who the text says says it; NULL = the document's own voice
    reported_subject VARCHAR,            -- "Moscow said Beijing had ..." -> Beijing
    text_sha256      VARCHAR NOT NULL,   -- embedding cache key
    kind             VARCHAR NOT NULL    -- statement, question, heading, meta: only statements align
);

CREATE TABLE IF NOT EXISTS embeddings (
    model       VARCHAR NOT NULL,        -- model name + weights digest
    text_sha256 VARCHAR NOT NULL,
    vector      FLOAT[] NOT NULL,        -- L2-normalised
    PRIMARY KEY (model, text_sha256)
);

CREATE TABLE IF NOT EXISTS event_models (
    event_id VARCHAR PRIMARY KEY,
    model    VARCHAR NOT NULL,           -- embeddings.model of every claim of the event: its scores come from it
    reason   VARCHAR NOT NULL            -- why: "default (...)", "multilingual (documents in zh, ru)", "forced (--model)"
);

CREATE TABLE IF NOT EXISTS claim_pairs (
    event_id VARCHAR NOT NULL,
    claim_a  VARCHAR NOT NULL,           -- claim_a's doc_id < claim_b's doc_id
    claim_b  VARCHAR NOT NULL,
    doc_a    VARCHAR NOT NULL,
    doc_b    VARCHAR NOT NULL,
    score    DOUBLE NOT NULL,            -- similarity: w * cosine + (1 - w) * lexical, in [0, 1]
    margin   DOUBLE NOT NULL,            -- similarity over both claims' usual best matches (>= 1)
    cosine   DOUBLE NOT NULL,            -- embedding cosine
    lexical  DOUBLE NOT NULL,            -- content-word overlap
    method   VARCHAR NOT NULL,           -- how it was accepted
    relation VARCHAR,                    -- same, aligned, reworded, elaborated, framed, conflict (diverge stage)
    PRIMARY KEY (claim_a, claim_b)
);

CREATE TABLE IF NOT EXISTS claim_groups (
    group_id VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    claim_id VARCHAR PRIMARY KEY,
    doc_id   VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS omissions (
    event_id         VARCHAR NOT NULL,
    claim_id         VARCHAR NOT NULL,   -- the claim the other document lacks
    doc_id           VARCHAR NOT NULL,   -- its document
    missing_in_doc   VARCHAR NOT NULL,
    nearest_claim_id VARCHAR,            -- best non-match in missing_in_doc
    nearest_score    DOUBLE,
    salience         DOUBLE,             -- in [0, 1]: how much the omission matters; NULL = not rated
    reason           VARCHAR,            -- one line: what the omission leaves out (diverge stage)
    PRIMARY KEY (claim_id, missing_in_doc)
);

CREATE TABLE IF NOT EXISTS divergences (
    event_id   VARCHAR NOT NULL,
    claim_a    VARCHAR NOT NULL,
    claim_b    VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,         -- number, entity, negation, speaker, hedging, framing, elaborated, reworded
    score      DOUBLE NOT NULL,
    reason     VARCHAR NOT NULL,
    evidence_a VARCHAR,                  -- JSON list of [start, end, text] spans in claim_a's text
    evidence_b VARCHAR,
    salience   DOUBLE,                   -- in [0, 1]: how much the difference matters; NULL = not rated
    PRIMARY KEY (claim_a, claim_b, kind)
);

CREATE TABLE IF NOT EXISTS term_contrasts (
    event_id VARCHAR NOT NULL,
    doc_id   VARCHAR NOT NULL,
    term     VARCHAR NOT NULL,
    count    INTEGER NOT NULL,
    log_odds DOUBLE NOT NULL,
    z        DOUBLE NOT NULL,
    PRIMARY KEY (doc_id, term)
);
