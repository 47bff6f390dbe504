-- Purpose: For every two documents of an event, how much of each one the other also tells
--   (coverage), their overall agreement, and how many divergences and conflicts they have.
--   agreement = aligned claims of both / claims of both; conflicts = number, entity, negation.
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
-- Returns: event_id, source_a, source_b, claims_a, claims_b, claim_pairs, coverage_a, coverage_b,
--   agreement, mean_score, divergences, conflicts, doc_a, doc_b
SELECT event_id, source_a, source_b, claims_a, claims_b, claim_pairs,
       round(coverage_a, 3) AS coverage_a,
       round(coverage_b, 3) AS coverage_b,
       round(agreement, 3) AS agreement,
       round(mean_score, 3) AS mean_score,
       divergences, conflicts, doc_a, doc_b
FROM v_source_agreement
WHERE ($event_id IS NULL OR event_id = $event_id)
ORDER BY event_id, agreement DESC NULLS LAST, source_a, source_b;
