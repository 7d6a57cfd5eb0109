// The one SDK client the demo talks through: same origin, HTTP for queries and uploads, graphql-ws for progress.
import { createClient } from "@mmrag/sdk/browser";

export const client = createClient({ url: new URL("graphql", document.baseURI).href });
