-- Purpose: What one source leaves out that other sources tell: one row per (event, fact, document of
--   the source), the fact's most salient wording, who tells it and its salience (the profile page
--   groups these into themes by the terms they share).
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
--   $against  VARCHAR  only what this other source tells, any case; NULL = every other source
-- Returns: event_id, group_id, missing_in_doc, text, told_by, salience, claim_id
WITH o AS (
    SELECT v.*, coalesce(g.group_id, v.claim_id) AS fact
    FROM v_omissions v
    LEFT JOIN claim_groups g ON g.claim_id = v.claim_id
    WHERE lower(v.missing_in_source) = lower($source)
      AND lower(v.source) <> lower(v.missing_in_source)
      AND ($against IS NULL OR lower(v.source) = lower($against))
      AND ($event_id IS NULL OR v.event_id = $event_id)
)
SELECT event_id,
       fact AS group_id,
       missing_in_doc,
       arg_max(text, (coalesce(salience, 0), claim_id)) AS text,
       list(DISTINCT source ORDER BY source) AS told_by,
       max(salience) AS salience,
       arg_max(claim_id, (coalesce(salience, 0), claim_id)) AS claim_id
FROM o
GROUP BY event_id, fact, missing_in_doc
ORDER BY salience DESC NULLS LAST, event_id, group_id, missing_in_doc;
