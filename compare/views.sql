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

-- Source profiles (issue 28). A pair counts only when it is firmly aligned, the strength the report and
-- the diverge stage use: belief = min(1, score / certain_pair_score) >= LOOSE_PAIR, i.e. score >= 0.7 * 0.7
-- (compare/diverge: DivergeConfig.certain_pair_score, LOOSE_PAIR; tests/test_profile.py pins the two equal).

-- One row per (event, document, another document of that event), both orders: what the other tells, how
-- much of it the first tells too, how their firm pairs relate and what the first leaves out.
CREATE OR REPLACE VIEW v_source_pair AS
WITH docs AS (
    SELECT doc_id, event_id, date, coalesce(label, source, doc_id) AS source FROM documents
),
firm AS (
    SELECT doc_a AS doc_id, doc_b AS other_doc, claim_b AS other_claim, relation
    FROM claim_pairs WHERE score >= 0.49
    UNION ALL
    SELECT doc_b, doc_a, claim_a, relation FROM claim_pairs WHERE score >= 0.49
),
facts AS (
    SELECT doc_id, count(DISTINCT group_id) AS facts FROM claim_groups GROUP BY ALL
),
shared AS (
    SELECT f.doc_id, f.other_doc,
           count(DISTINCT g.group_id) AS shared_facts,
           count(*) AS firm_pairs,
           count(*) FILTER (WHERE f.relation = 'same') AS same,
           count(*) FILTER (WHERE f.relation = 'aligned') AS aligned,
           count(*) FILTER (WHERE f.relation = 'reworded') AS reworded,
           count(*) FILTER (WHERE f.relation = 'elaborated') AS elaborated,
           count(*) FILTER (WHERE f.relation = 'framed') AS framed,
           count(*) FILTER (WHERE f.relation = 'conflict') AS conflict,
           histogram(coalesce(f.relation, 'unrated')) AS relations
    FROM firm f
    LEFT JOIN claim_groups g ON g.claim_id = f.other_claim
    GROUP BY ALL
),
missed AS (
    SELECT o.missing_in_doc AS doc_id, o.doc_id AS other_doc,
           count(DISTINCT coalesce(g.group_id, o.claim_id)) AS omissions
    FROM omissions o
    LEFT JOIN claim_groups g ON g.claim_id = o.claim_id
    GROUP BY ALL
)
SELECT a.event_id,
       a.date,
       a.source,
       a.doc_id,
       b.source AS other_source,
       b.doc_id AS other_doc,
       coalesce(fa.facts, 0) AS facts,
       coalesce(fb.facts, 0) AS other_facts,
       coalesce(s.shared_facts, 0) AS shared_facts,
       coalesce(s.shared_facts, 0) / nullif(fb.facts, 0) AS coverage,
       coalesce(s.firm_pairs, 0) AS firm_pairs,
       coalesce(s.same, 0) AS same,
       coalesce(s.aligned, 0) AS aligned,
       coalesce(s.reworded, 0) AS reworded,
       coalesce(s.elaborated, 0) AS elaborated,
       coalesce(s.framed, 0) AS framed,
       coalesce(s.conflict, 0) AS conflict,
       coalesce(s.relations, MAP {}::MAP(VARCHAR, UBIGINT)) AS relations,
       coalesce(s.firm_pairs, 0) - coalesce(s.same, 0) - coalesce(s.aligned, 0) AS differing,
       (coalesce(s.firm_pairs, 0) - coalesce(s.same, 0) - coalesce(s.aligned, 0))
           / nullif(s.firm_pairs, 0) AS differing_share,
       coalesce(m.omissions, 0) AS omissions
FROM docs a
JOIN docs b ON b.event_id = a.event_id AND b.doc_id <> a.doc_id
LEFT JOIN facts fa ON fa.doc_id = a.doc_id
LEFT JOIN facts fb ON fb.doc_id = b.doc_id
LEFT JOIN shared s ON s.doc_id = a.doc_id AND s.other_doc = b.doc_id
LEFT JOIN missed m ON m.doc_id = a.doc_id AND m.other_doc = b.doc_id;

-- One row per source name (lower case; documents named alike in any case are one source): its events,
-- documents and facts, and, summed over its rows of v_source_pair with another source, what the others
-- tell, how much of it it tells too, its firm pairs and how many differ or conflict, its omissions.
CREATE OR REPLACE VIEW v_source_profile AS
WITH docs AS (
    SELECT lower(coalesce(label, source, doc_id)) AS key, coalesce(label, source, doc_id) AS source,
           doc_id, event_id, date
    FROM documents
),
own AS (
    SELECT d.key, min(d.source) AS source, count(DISTINCT d.event_id) AS events,
           count(*) AS documents, min(d.date) AS first_date, max(d.date) AS last_date,
           sum((SELECT count(DISTINCT g.group_id) FROM claim_groups g WHERE g.doc_id = d.doc_id))::BIGINT
               AS facts
    FROM docs d
    GROUP BY d.key
),
pairs AS (
    SELECT lower(source) AS key,
           count(DISTINCT lower(other_source)) AS other_sources,
           sum(other_facts)::BIGINT AS other_facts,
           sum(shared_facts)::BIGINT AS shared_facts,
           sum(firm_pairs)::BIGINT AS firm_pairs,
           sum(differing)::BIGINT AS differing,
           sum(conflict)::BIGINT AS conflicts,
           sum(omissions)::BIGINT AS omissions
    FROM v_source_pair
    WHERE lower(other_source) <> lower(source)
    GROUP BY ALL
)
SELECT o.source, o.events, o.documents, o.first_date, o.last_date, o.facts,
       coalesce(p.other_sources, 0) AS other_sources,
       coalesce(p.other_facts, 0) AS other_facts,
       coalesce(p.shared_facts, 0) AS shared_facts,
       coalesce(p.shared_facts, 0) / nullif(p.other_facts, 0) AS coverage,
       coalesce(p.firm_pairs, 0) AS firm_pairs,
       coalesce(p.differing, 0) AS differing,
       coalesce(p.conflicts, 0) AS conflicts,
       coalesce(p.omissions, 0) AS omissions
FROM own o
LEFT JOIN pairs p ON p.key = o.key;
