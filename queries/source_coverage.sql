-- Purpose: For one source, per other source across the events both appear in: the facts the other
--   tells, how many of them the source tells too (firmly aligned), their firm pairs by relation and
--   what the source leaves out (the profile page's coverage and relations tables; v_source_pair).
-- Params:
--   $event_id VARCHAR  only this event; NULL = every event the source appears in
--   $source   VARCHAR  required: the source's name (its label, else its source), any case
--   $against  VARCHAR  only this other source, any case; NULL = every other source
-- Returns: other_source, events, other_facts, shared_facts, coverage, firm_pairs, same, aligned, reworded, elaborated, framed, conflict, omissions
SELECT min(other_source) AS other_source,
       count(DISTINCT event_id) AS events,
       sum(other_facts)::BIGINT AS other_facts,
       sum(shared_facts)::BIGINT AS shared_facts,
       sum(shared_facts) / nullif(sum(other_facts), 0) AS coverage,
       sum(firm_pairs)::BIGINT AS firm_pairs,
       sum(same)::BIGINT AS same,
       sum(aligned)::BIGINT AS aligned,
       sum(reworded)::BIGINT AS reworded,
       sum(elaborated)::BIGINT AS elaborated,
       sum(framed)::BIGINT AS framed,
       sum(conflict)::BIGINT AS conflict,
       sum(omissions)::BIGINT AS omissions
FROM v_source_pair
WHERE lower(source) = lower($source)
  AND lower(other_source) <> lower(source)
  AND ($against IS NULL OR lower(other_source) = lower($against))
  AND ($event_id IS NULL OR event_id = $event_id)
GROUP BY lower(other_source)
ORDER BY other_facts DESC, other_source;
