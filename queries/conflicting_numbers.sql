-- Purpose: Where two sources give the same fact with different numbers or dates: the divergences
--   of kind 'number', with the conflicting spans of each text. Empty until the diverge stage ran.
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
-- Returns: event_id, source_a, numbers_a, text_a, source_b, numbers_b, text_b, reason, score,
--   salience, relation, claim_a, claim_b
SELECT event_id, source_a, spans_a AS numbers_a, text_a, source_b, spans_b AS numbers_b, text_b,
       reason,
       round(score, 3) AS score,
       round(salience, 3) AS salience, relation,
       claim_a, claim_b
FROM v_divergences
WHERE kind = 'number'
  AND ($event_id IS NULL OR event_id = $event_id)
ORDER BY event_id, salience DESC NULLS LAST, score DESC, claim_a, claim_b;
