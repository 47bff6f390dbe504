-- Purpose: The words each source uses markedly more than the other documents of its event
--   (weighted log-odds with an informative prior, as z-scores). Empty until the diverge stage ran.
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
--   $source    VARCHAR  only this source (its label, full source name or doc_id); NULL = every source
--   $min_z     DOUBLE   smallest z-score shown; NULL = 1.96 (about p < 0.05)
--   $top       INTEGER  terms per document (>= 0); NULL = 10
-- Returns: event_id, source, rank, term, count, log_odds, z, doc_id
SELECT t.event_id,
       coalesce(d.label, d.source, d.doc_id) AS source,
       row_number() OVER (PARTITION BY t.doc_id ORDER BY t.z DESC, t.term) AS rank,
       t.term,
       t.count,
       round(t.log_odds, 3) AS log_odds,
       round(t.z, 2) AS z,
       t.doc_id
FROM term_contrasts t
JOIN documents d ON d.doc_id = t.doc_id
WHERE ($event_id IS NULL OR t.event_id = $event_id)
  AND ($source IS NULL OR $source IN (d.label, d.source, d.doc_id))
  AND t.z >= coalesce($min_z::DOUBLE, 1.96)
QUALIFY rank <= coalesce($top::INTEGER, 10)
ORDER BY t.event_id, source, t.doc_id, rank;
