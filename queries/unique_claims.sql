-- Purpose: What only one source says: claims no other document of the event tells (their claim
--   group holds one document), in reading order, with the best score any other document reached.
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
--   $source    VARCHAR  only claims of this source (its label, full source name or doc_id); NULL = every source
-- Returns: event_id, source, position, speaker, text, best_other_score, claim_id, doc_id
WITH lone AS (
    SELECT group_id
    FROM claim_groups
    GROUP BY group_id
    HAVING count(DISTINCT doc_id) = 1
)
SELECT c.event_id,
       coalesce(d.label, d.source, d.doc_id) AS source,
       c.position,
       c.speaker,
       c.text,
       round((SELECT max(o.nearest_score) FROM omissions o WHERE o.claim_id = c.claim_id), 3)
           AS best_other_score,
       c.claim_id,
       c.doc_id
FROM claims c
JOIN claim_groups g ON g.claim_id = c.claim_id
JOIN lone USING (group_id)
JOIN documents d ON d.doc_id = c.doc_id
WHERE ($event_id IS NULL OR c.event_id = $event_id)
  AND ($source IS NULL OR $source IN (d.label, d.source, d.doc_id))
  AND (SELECT count(*) FROM documents e WHERE e.event_id = c.event_id) > 1
ORDER BY c.event_id, source, c.doc_id, c.position;
