-- Purpose: One source's summary across the events it appears in (v_source_profile).
-- Params:
--   $event_id VARCHAR  only if the source appears in this event; NULL = any (the row sums every event)
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
-- Returns: source, events, documents, first_date, last_date, facts, other_sources, other_facts, shared_facts, coverage, firm_pairs, differing, conflicts, omissions
SELECT source, events, documents, first_date, last_date, facts, other_sources, other_facts,
       shared_facts, coverage, firm_pairs, differing, conflicts, omissions
FROM v_source_profile
WHERE lower(source) = lower($source)
  AND ($event_id IS NULL OR source IN (SELECT coalesce(label, source, doc_id) FROM documents WHERE event_id = $event_id));
