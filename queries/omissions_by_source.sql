-- Purpose: What each source leaves out: the claims other documents of the event tell that this
--   one lacks, with the nearest thing it does say (a low nearest_score means nothing close).
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
--   $source    VARCHAR  only omissions of this source (its label or doc_id); NULL = every source
-- Returns: event_id, missing_in_source, told_by_source, position, text, nearest_text,
--   nearest_score, claim_id, missing_in_doc
SELECT event_id,
       missing_in_source,
       source AS told_by_source,
       position,
       text,
       nearest_text,
       round(nearest_score, 3) AS nearest_score,
       claim_id,
       missing_in_doc
FROM v_omissions
WHERE ($event_id IS NULL OR event_id = $event_id)
  AND ($source IS NULL OR missing_in_source = $source OR missing_in_doc = $source)
ORDER BY event_id, missing_in_source, missing_in_doc, told_by_source, doc_id, position;
