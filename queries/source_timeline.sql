-- Purpose: For one source, event by event and per other source: coverage, firm pairs, how many of them
--   differ (any relation but same and aligned) and omissions (the profile page's timeline; v_source_pair).
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
--   $against  VARCHAR  only this other source, any case; NULL = every other source
-- Returns: event_id, date, other_source, other_facts, shared_facts, coverage, firm_pairs, differing, differing_share, conflict, omissions, doc_id, other_doc
SELECT event_id, date, other_source, other_facts, shared_facts, coverage, firm_pairs, differing,
       differing_share, conflict, omissions, doc_id, other_doc
FROM v_source_pair
WHERE lower(source) = lower($source)
  AND lower(other_source) <> lower(source)
  AND ($against IS NULL OR lower(other_source) = lower($against))
  AND ($event_id IS NULL OR event_id = $event_id)
ORDER BY date NULLS LAST, event_id, other_source, doc_id, other_doc;
