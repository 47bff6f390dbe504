-- Purpose: The facts the sources tell most differently: claim groups spanning two or more
--   documents, ranked by number of divergences, then distinct kinds, then by their weakest
--   alignment (the loosest paraphrase first when no divergences are stored yet).
-- Params:
--   $event_id  VARCHAR  the event; NULL = all events
--   $top       INTEGER  how many groups (>= 0); NULL = 20
-- Returns: event_id, group_id, documents, divergences, kinds, min_pair_score, texts
WITH members AS (
    SELECT g.event_id, g.group_id, g.claim_id, c.doc_id,
           coalesce(d.label, d.source, d.doc_id) || ': ' || c.text AS told
    FROM claim_groups g
    JOIN claims c ON c.claim_id = g.claim_id
    JOIN documents d ON d.doc_id = c.doc_id
),
groups AS (
    SELECT event_id, group_id, count(DISTINCT doc_id) AS documents,
           list(told ORDER BY doc_id, claim_id) AS texts
    FROM members
    GROUP BY ALL
    HAVING count(DISTINCT doc_id) > 1
),
diffs AS (
    SELECT g.group_id, count(*) AS divergences, list(DISTINCT v.kind ORDER BY v.kind) AS kinds
    FROM divergences v
    JOIN claim_groups g ON g.claim_id = v.claim_a
    GROUP BY ALL
),
pairs AS (
    SELECT g.group_id, min(p.score) AS min_pair_score
    FROM claim_pairs p
    JOIN claim_groups g ON g.claim_id = p.claim_a
    GROUP BY ALL
)
SELECT gr.event_id,
       gr.group_id,
       gr.documents,
       coalesce(x.divergences, 0) AS divergences,
       coalesce(x.kinds, []::VARCHAR[]) AS kinds,
       round(p.min_pair_score, 3) AS min_pair_score,
       gr.texts
FROM groups gr
LEFT JOIN diffs x USING (group_id)
LEFT JOIN pairs p USING (group_id)
WHERE ($event_id IS NULL OR gr.event_id = $event_id)
ORDER BY divergences DESC, len(kinds) DESC, min_pair_score ASC NULLS LAST, gr.event_id, gr.group_id
LIMIT coalesce($top::INTEGER, 20);
