-- Purpose: Semantic search: the stored claims nearest a text, by cosine similarity of their
--   embeddings. `narrative-compare query claims_like --param text=...` embeds the text with the
--   store's model and passes the vector in (the event's model with --event; events embedded with
--   two models need --event); from another client, bind $vector yourself.
-- Params:
--   $vector    FLOAT[]  required: the L2-normalised embedding of the search text
--   $model     VARCHAR  embeddings of this model key (embeddings.model); NULL = any model with
--                       vectors of the same length. Either way a claim is compared through the
--                       model that embedded its event (event_models), so events embedded with
--                       another model are left out
--   $event_id  VARCHAR  the event; NULL = all events
--   $top       INTEGER  how many claims (>= 0); NULL = 10
-- Returns: event_id, source, speaker, text, similarity, claim_id, doc_id
SELECT c.event_id,
       coalesce(d.label, d.source, d.doc_id) AS source,
       c.speaker,
       c.text,
       round(list_cosine_similarity(e.vector, $vector::FLOAT[]), 4) AS similarity,
       c.claim_id,
       c.doc_id
FROM claims c
JOIN documents d ON d.doc_id = c.doc_id
JOIN embeddings e ON e.text_sha256 = c.text_sha256
LEFT JOIN event_models m ON m.event_id = c.event_id
WHERE ($event_id IS NULL OR c.event_id = $event_id)
  AND ($model IS NULL OR e.model = $model)
  AND (m.model IS NULL OR e.model = m.model)
  AND len(e.vector) = len($vector::FLOAT[])
QUALIFY row_number() OVER (PARTITION BY c.claim_id ORDER BY similarity DESC, e.model) = 1
ORDER BY similarity DESC, c.claim_id
LIMIT coalesce($top::INTEGER, 10);
