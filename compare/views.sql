-- Views for the common questions; created with the schema (docs/schema.md describes every column).
-- A document's name is its label, else its source, else its doc_id. Every view works on an empty store and while
-- `divergences` / `term_contrasts` are still empty (their columns are then 0, NULL or []).

-- One row per accepted claim pair, with both texts, sources, speakers and the divergence kinds.
CREATE OR REPLACE VIEW v_claim_pairs AS
WITH kinds AS (
    SELECT least(claim_a, claim_b) AS lo, greatest(claim_a, claim_b) AS hi,
           list(DISTINCT kind ORDER BY kind) AS kinds
    FROM divergences
    GROUP BY ALL
)
SELECT p.event_id,
       g.group_id,
       p.claim_a,
       p.claim_b,
       p.doc_a,
       p.doc_b,
       coalesce(da.label, da.source, p.doc_a) AS source_a,
       coalesce(db.label, db.source, p.doc_b) AS source_b,
       ca.speaker AS speaker_a,
       cb.speaker AS speaker_b,
       ca.text AS text_a,
       cb.text AS text_b,
       p.score,
       p.margin,
       p.cosine,
       p.lexical,
       p.method,
       p.relation,
       coalesce(k.kinds, []::VARCHAR[]) AS kinds
FROM claim_pairs p
JOIN claims ca ON ca.claim_id = p.claim_a
JOIN claims cb ON cb.claim_id = p.claim_b
JOIN documents da ON da.doc_id = p.doc_a
JOIN documents db ON db.doc_id = p.doc_b
LEFT JOIN claim_groups g ON g.claim_id = p.claim_a
LEFT JOIN kinds k ON k.lo = least(p.claim_a, p.claim_b) AND k.hi = greatest(p.claim_a, p.claim_b);

-- One row per (claim, document that lacks it), with both sources and the nearest non-match.
CREATE OR REPLACE VIEW v_omissions AS
SELECT o.event_id,
       o.claim_id,
       o.doc_id,
       coalesce(d.label, d.source, o.doc_id) AS source,
       c.position,
       c.speaker,
       c.text,
       o.missing_in_doc,
       coalesce(m.label, m.source, o.missing_in_doc) AS missing_in_source,
       o.nearest_claim_id,
       n.text AS nearest_text,
       o.nearest_score,
       o.salience,
       o.reason
FROM omissions o
JOIN claims c ON c.claim_id = o.claim_id
JOIN documents d ON d.doc_id = o.doc_id
JOIN documents m ON m.doc_id = o.missing_in_doc
LEFT JOIN claims n ON n.claim_id = o.nearest_claim_id;

-- One row per divergence, with both claims' texts, sources, speakers and evidence spans.
CREATE OR REPLACE VIEW v_divergences AS
SELECT v.event_id,
       v.kind,
       v.score,
       v.reason,
       v.claim_a,
       v.claim_b,
       ca.doc_id AS doc_a,
       cb.doc_id AS doc_b,
       coalesce(da.label, da.source, ca.doc_id) AS source_a,
       coalesce(db.label, db.source, cb.doc_id) AS source_b,
       ca.speaker AS speaker_a,
       cb.speaker AS speaker_b,
       ca.text AS text_a,
       cb.text AS text_b,
       v.evidence_a,
       v.evidence_b,
       -- the span texts of the JSON evidence ([[start, end, text], ...]); [] when absent or malformed
       CASE WHEN json_valid(v.evidence_a) THEN json_extract_string(v.evidence_a, '$[*][2]')
            ELSE []::VARCHAR[] END AS spans_a,
       CASE WHEN json_valid(v.evidence_b) THEN json_extract_string(v.evidence_b, '$[*][2]')
            ELSE []::VARCHAR[] END AS spans_b,
       v.salience,
       g.group_id,
       p.score AS pair_score,
       p.relation
FROM divergences v
LEFT JOIN claims ca ON ca.claim_id = v.claim_a
LEFT JOIN claims cb ON cb.claim_id = v.claim_b
LEFT JOIN documents da ON da.doc_id = ca.doc_id
LEFT JOIN documents db ON db.doc_id = cb.doc_id
LEFT JOIN claim_groups g ON g.claim_id = v.claim_a
LEFT JOIN claim_pairs p
       ON least(p.claim_a, p.claim_b) = least(v.claim_a, v.claim_b)
      AND greatest(p.claim_a, p.claim_b) = greatest(v.claim_a, v.claim_b);

-- One row per pair of documents of an event (doc_a < doc_b): how much of each the other tells.
CREATE OR REPLACE VIEW v_source_agreement AS
WITH docs AS (
    SELECT d.event_id, d.doc_id, coalesce(d.label, d.source, d.doc_id) AS source,
           (SELECT count(*) FROM claims c WHERE c.doc_id = d.doc_id AND c.kind = 'statement')
               AS claims
    FROM documents d
),
pairs AS (
    SELECT doc_a, doc_b, count(*) AS claim_pairs,
           count(DISTINCT claim_a) AS aligned_a, count(DISTINCT claim_b) AS aligned_b,
           avg(score) AS mean_score
    FROM claim_pairs
    GROUP BY ALL
),
diffs AS (
    SELECT least(ca.doc_id, cb.doc_id) AS doc_a, greatest(ca.doc_id, cb.doc_id) AS doc_b,
           count(*) AS divergences
    FROM divergences v
    JOIN claims ca ON ca.claim_id = v.claim_a
    JOIN claims cb ON cb.claim_id = v.claim_b
    GROUP BY ALL
),
-- conflicts: aligned claim pairs whose facts cannot both hold (relation 'conflict')
relations AS (
    SELECT doc_a, doc_b,
           count(*) FILTER (WHERE relation = 'conflict') AS conflicts,
           count(*) FILTER (WHERE relation = 'same') AS same_pairs
    FROM claim_pairs
    GROUP BY ALL
)
SELECT a.event_id,
       a.doc_id AS doc_a,
       b.doc_id AS doc_b,
       a.source AS source_a,
       b.source AS source_b,
       a.claims AS claims_a,
       b.claims AS claims_b,
       coalesce(p.claim_pairs, 0) AS claim_pairs,
       coalesce(p.aligned_a, 0) AS aligned_a,
       coalesce(p.aligned_b, 0) AS aligned_b,
       coalesce(p.aligned_a, 0) / nullif(a.claims, 0) AS coverage_a,
       coalesce(p.aligned_b, 0) / nullif(b.claims, 0) AS coverage_b,
       (coalesce(p.aligned_a, 0) + coalesce(p.aligned_b, 0)) / nullif(a.claims + b.claims, 0)
           AS agreement,
       p.mean_score,
       coalesce(x.divergences, 0) AS divergences,
       coalesce(r.conflicts, 0) AS conflicts,
       coalesce(r.same_pairs, 0) AS same_pairs
FROM docs a
JOIN docs b ON b.event_id = a.event_id AND a.doc_id < b.doc_id
LEFT JOIN pairs p ON p.doc_a = a.doc_id AND p.doc_b = b.doc_id
LEFT JOIN diffs x ON x.doc_a = a.doc_id AND x.doc_b = b.doc_id
LEFT JOIN relations r ON r.doc_a = a.doc_id AND r.doc_b = b.doc_id;

-- One row per event: its documents, claims, how much the sources share and what diverges.
CREATE OR REPLACE VIEW v_event_summary AS
WITH groups AS (
    SELECT event_id, group_id, count(DISTINCT doc_id) AS documents, count(*) AS claims
    FROM claim_groups
    GROUP BY ALL
)
SELECT d.event_id,
       count(DISTINCT d.doc_id) AS documents,
       list(DISTINCT coalesce(d.label, d.source, d.doc_id) ORDER BY coalesce(d.label, d.source, d.doc_id)) AS sources,
       (SELECT count(*) FROM claims c WHERE c.event_id = d.event_id AND c.kind = 'statement')
           AS claims,
       (SELECT count(*) FROM groups g WHERE g.event_id = d.event_id) AS claim_groups,
       (SELECT count(*) FROM groups g WHERE g.event_id = d.event_id AND g.documents > 1)
           AS shared_groups,
       (SELECT coalesce(sum(g.claims), 0)::BIGINT FROM groups g
         WHERE g.event_id = d.event_id AND g.documents = 1) AS unique_claims,
       (SELECT count(*) FROM claim_pairs p WHERE p.event_id = d.event_id) AS claim_pairs,
       (SELECT count(*) FROM omissions o WHERE o.event_id = d.event_id) AS omissions,
       (SELECT count(*) FROM divergences v WHERE v.event_id = d.event_id) AS divergences,
       min(d.date) AS first_date,
       max(d.date) AS last_date
FROM documents d
GROUP BY d.event_id;
