-- Purpose: One row per event: its documents and sources, how many claims they share, what only
--   one source tells, and how many omissions and divergences were found.
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
-- Returns: event_id, documents, sources, claims, claim_groups, shared_groups, unique_claims,
--   claim_pairs, omissions, divergences, first_date, last_date
SELECT event_id, documents, sources, claims, claim_groups, shared_groups, unique_claims,
       claim_pairs, omissions, divergences, first_date, last_date
FROM v_event_summary
WHERE ($event_id IS NULL OR event_id = $event_id)
ORDER BY event_id;
