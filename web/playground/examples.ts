// The playground's first tabs: one runnable operation each for composed search and ingest progress, and
// the catalogue queries. Ids come from this server, so the examples run as they are.

function searchExample(imageId: string | undefined): string {
  return `# Composed search: a query image and an instruction, the nearest
# images from Milvus, then the LLM's ranking and its reasons.
# The query here is a catalogue image${imageId ? "" : " (ids: see the Catalogue tab)"}. To upload
# a new one, use the web demo at /, the SDK or curl (README).
# subscription { searchComposedStream(imageId: …, instruction: …) { kind … } }
# streams the same search: hits at once, then the LLM's answer as it writes.
mutation SearchComposed {
  searchComposed(
    imageId: "${imageId ?? "an image id from the Catalogue tab"}"
    instruction: "phone case with this image theme"
    limit: 9
    rerank: true
    exclude: ["text", "logo"] # optional: move away from these (README: Excluded terms)
    excludeWeight: 0.3
  ) {
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
}

const PROGRESS_EXAMPLE = `# Follows an ingest job over graphql-ws: its state at once,
# updates while it runs, then the final state.
# Start a job with ingestImages (the web demo's "Add images")
# or ingestFolder (a folder under INGEST_ROOTS); the Catalogue
# tab lists recent jobs.
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

function catalogueExample(imageId: string | undefined): string {
  return `# Newest first; filter: { titleContains: "case" } finds titles with that text.
# To edit an image's metadata without embedding it again:
#   mutation { updateImage(id: "${imageId ?? "an image id"}", metadata: { title: "New title" }) { id metadata } }
# Other catalogues: catalogues { name images model }, createCatalogue(name: "shoes"),
# and catalogue: "shoes" on any image or search operation.
# Words in titles: search(text: "leopard", mode: KEYWORD) (or HYBRID, fused with the vector search).
# Another model without re-ingesting (admin): mutation { reindex(model: "clip-vit-base-patch32") { id status } },
# then watch the job on the Ingest progress tab; catalogues { collection model inactiveCollections warning }.
query Catalogue($after: String) {
  stats { images dimension backend index model { name generated warning } }
  images(first: 20, after: $after, orderBy: NEWEST_FIRST) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id url thumbnailUrl width height format metadata createdAt }
  }
  ingestJobs(limit: 5) { id kind source status total processed createdAt }
}
`;
}

/**
 * The first tab carries no variables: GraphiQL 3 fills the variables editor of the first tab from its
 * `variables` prop, not from the tab.
 */
export function exampleTabs(ids: { imageId?: string; jobId?: string }) {
  return [
    { query: searchExample(ids.imageId) },
    { query: PROGRESS_EXAMPLE, variables: JSON.stringify({ jobId: ids.jobId ?? "a job id from the Catalogue tab" }, null, 2) },
    { query: catalogueExample(ids.imageId) },
  ];
}
