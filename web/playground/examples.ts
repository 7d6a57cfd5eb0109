// The playground's first tabs: one runnable operation each for composed search and ingest progress, and
// the catalogue queries. Ids come from this server, so the examples run as they are.

export const SEARCH_EXAMPLE = `# Composed search: a query image plus an instruction, the nearest images from Milvus, then the LLM's
# ranking and its reasons. Here the query is a catalogue image (imageId: see the Catalogue tab); uploading
# a new image needs a multipart request: use the web demo at /, the SDK, or curl (see the README).
mutation SearchComposed($imageId: ID!, $instruction: String!) {
  searchComposed(imageId: $imageId, instruction: $instruction, limit: 9, rerank: true) {
    best { rank score image { id url metadata } }
    explanation
    ranking { rank score image { id thumbnailUrl metadata } }
    reranked
    rerankError
    panoramaUrl
    timings { embedMs searchMs rerankMs totalMs }
  }
}
`;

export const PROGRESS_EXAMPLE = `# Follows an ingest job over graphql-ws: its state at once, updates while it runs, then the final state.
# Start a job with ingestImages (e.g. the web demo's "Add images") or ingestFolder (a folder under the
# server's INGEST_ROOTS); the Catalogue tab lists recent jobs.
subscription IngestProgress($jobId: ID!) {
  ingestProgress(jobId: $jobId) {
    id
    status
    total
    processed
    succeeded
    skipped
    failed
    imagesPerSecond
    etaSeconds
    errors { item code message }
    message
  }
}
`;

export const CATALOGUE_EXAMPLE = `query Catalogue($after: String) {
  stats { images dimension backend index model { name generated warning } }
  images(first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id url thumbnailUrl width height format metadata createdAt }
  }
  ingestJobs(limit: 5) { id kind source status total processed createdAt }
}
`;

export function exampleTabs(ids: { imageId?: string; jobId?: string }) {
  const json = (value: object) => JSON.stringify(value, null, 2);
  return [
    { query: SEARCH_EXAMPLE, variables: json({ imageId: ids.imageId ?? "an image id from the Catalogue tab", instruction: "phone case with this image theme" }) },
    { query: PROGRESS_EXAMPLE, variables: json({ jobId: ids.jobId ?? "a job id from the Catalogue tab" }) },
    { query: CATALOGUE_EXAMPLE },
  ];
}
