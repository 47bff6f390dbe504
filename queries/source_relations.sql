-- Purpose: For one source, its firmly aligned claim pairs with each other source by relation, every
--   relation value the store holds (v_source_pair.relations summed over events).
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
--   $against  VARCHAR  only this other source, any case; NULL = every other source
-- Returns: other_source, relation, pairs
WITH rows AS (
    SELECT lower(other_source) AS key, other_source, unnest(map_entries(relations)) AS e
    FROM v_source_pair
    WHERE lower(source) = lower($source)
      AND lower(other_source) <> lower(source)
      AND ($against IS NULL OR lower(other_source) = lower($against))
      AND ($event_id IS NULL OR event_id = $event_id)
)
SELECT min(other_source) AS other_source, e.key AS relation, sum(e.value)::BIGINT AS pairs
FROM rows
GROUP BY key, e.key
ORDER BY other_source, relation;
