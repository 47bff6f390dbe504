-- Purpose: The same fact told by two sources: every accepted claim pair with both texts, its
--   alignment score and the divergence kinds found between the two tellings.
-- Params:
--   $event_id   VARCHAR  the event; NULL = all events
--   $source     VARCHAR  only pairs with this source on either side (label or doc_id); NULL = all
--   $min_score  DOUBLE   only pairs scoring at least this (0..1); NULL = every accepted pair
-- Returns: event_id, group_id, source_a, text_a, source_b, text_b, score, kinds, claim_a, claim_b
SELECT event_id, group_id, source_a, text_a, source_b, text_b,
       round(score, 3) AS score,
       kinds, claim_a, claim_b
FROM v_claim_pairs
WHERE ($event_id IS NULL OR event_id = $event_id)
  AND ($source IS NULL OR $source IN (source_a, source_b, doc_a, doc_b))
  AND ($min_score IS NULL OR score >= $min_score)
ORDER BY event_id, group_id, score DESC, claim_a, claim_b;
