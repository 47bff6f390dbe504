-- Purpose: The statements of the events one source appears in, its own (`is_source`) and the other
--   sources' (the text a profile's distinctive terms are counted from).
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
--   $against  VARCHAR  the other side only this source, any case; NULL = every other source
-- Returns: is_source, event_id, source, text, claim_id
WITH events AS (
    SELECT DISTINCT event_id FROM documents
    WHERE lower(coalesce(label, source, doc_id)) = lower($source)
)
SELECT lower(coalesce(d.label, d.source, d.doc_id)) = lower($source) AS is_source,
       c.event_id,
       coalesce(d.label, d.source, d.doc_id) AS source,
       c.text,
       c.claim_id
FROM claims c
JOIN documents d ON d.doc_id = c.doc_id
WHERE c.event_id IN (SELECT event_id FROM events) AND c.kind = 'statement'
  AND ($event_id IS NULL OR c.event_id = $event_id)
  AND ($against IS NULL OR lower(coalesce(d.label, d.source, d.doc_id)) IN (lower($source), lower($against)))
ORDER BY c.event_id, c.doc_id, c.position;
