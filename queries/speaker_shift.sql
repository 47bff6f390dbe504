-- Purpose: The same statement put in another mouth: divergences of kind 'speaker' (different people
--   credited; a source quoting itself is the same speaker), with who each source says is speaking
--   (NULL = the document's own voice). Empty until the diverge stage ran.
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
-- Returns: event_id, source_a, speaker_a, text_a, source_b, speaker_b, text_b, reason, score,
--   salience, relation, claim_a, claim_b
SELECT event_id, source_a, speaker_a, text_a, source_b, speaker_b, text_b, reason,
       round(score, 3) AS score,
       round(salience, 3) AS salience, relation,
       claim_a, claim_b
FROM v_divergences
WHERE kind = 'speaker'
  AND ($event_id IS NULL OR event_id = $event_id)
ORDER BY event_id, salience DESC NULLS LAST, score DESC, claim_a, claim_b;
