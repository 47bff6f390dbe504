-- Purpose: Whom one source credits and quotes: the speakers of its statements across events.
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
-- Returns: name, count, events
SELECT c.speaker AS name, count(*) AS count, count(DISTINCT c.event_id) AS events
FROM claims c
JOIN documents d ON d.doc_id = c.doc_id
WHERE lower(coalesce(d.label, d.source, d.doc_id)) = lower($source)
  AND c.kind = 'statement' AND c.speaker IS NOT NULL
  AND ($event_id IS NULL OR c.event_id = $event_id)
GROUP BY c.speaker
ORDER BY count DESC, name;
