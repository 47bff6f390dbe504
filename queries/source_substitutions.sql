-- Purpose: Word substitutions of firmly aligned `reworded` pairs, seen from each side: the words one
--   document uses where the other uses others (evidence_a[i] stands for evidence_b[i]). Rows for
--   the source (`is_source`), and the same for every other source pooled (the background a
--   profile's log-odds score needs).
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
--   $against  VARCHAR  the source's rows only against this other source, any case; NULL = every other
-- Returns: is_source, source_words, other_words, count, events, others
WITH subs AS (
    SELECT v.event_id, p.doc_a, p.doc_b,
           json_extract_string(v.evidence_a, '$[*][2]') AS wa,
           json_extract_string(v.evidence_b, '$[*][2]') AS wb
    FROM divergences v
    JOIN claim_pairs p ON p.claim_a = v.claim_a AND p.claim_b = v.claim_b
    WHERE v.kind = 'reworded' AND p.score >= 0.49
      AND ($event_id IS NULL OR v.event_id = $event_id)
      AND json_valid(v.evidence_a) AND json_valid(v.evidence_b)
),
words AS (
    SELECT event_id, doc_a, doc_b, lower(wa[i]) AS a, lower(wb[i]) AS b
    FROM subs, range(1, least(len(wa), len(wb)) + 1) AS t(i)
),
sided AS (
    SELECT event_id, doc_a AS doc, doc_b AS other, a AS w, b AS ow FROM words
    UNION ALL
    SELECT event_id, doc_b, doc_a, b, a FROM words
),
named AS (
    SELECT s.*, coalesce(d.label, d.source, d.doc_id) AS name,
           coalesce(o.label, o.source, o.doc_id) AS other_name
    FROM sided s
    JOIN documents d ON d.doc_id = s.doc
    JOIN documents o ON o.doc_id = s.other
    WHERE lower(coalesce(d.label, d.source, d.doc_id)) <> lower(coalesce(o.label, o.source, o.doc_id))
)
SELECT lower(name) = lower($source) AS is_source,
       w AS source_words,
       ow AS other_words,
       count(*) AS count,
       count(DISTINCT event_id) AS events,
       list(DISTINCT other_name ORDER BY other_name) AS others
FROM named
WHERE lower(name) <> lower($source)
   OR $against IS NULL OR lower(other_name) = lower($against)
GROUP BY ALL
ORDER BY is_source DESC, count DESC, source_words, other_words;
