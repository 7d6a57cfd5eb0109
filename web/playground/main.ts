// GraphiQL for GET /graphql in a browser, bundled from npm (no CDN): HTTP for queries and mutations,
// graphql-ws on the same path for subscriptions, and example tabs filled with ids from this server.
import "graphiql/graphiql.css";
import "./phone.css";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws/client";
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { exampleTabs } from "./examples.js";

const url = new URL(location.pathname, location.href);
const wsUrl = new URL(url);
wsUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

const fetcher = createGraphiQLFetcher({ url: url.href, wsClient: createClient({ url: wsUrl.href, lazy: true }) });

/** A real image id and the latest job id make the examples runnable as they are. */
async function exampleIds(): Promise<{ imageId?: string; jobId?: string }> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ images(first: 1) { nodes { id } } ingestJobs(limit: 1) { id } }" }),
    });
    const { data } = await response.json();
    return { imageId: data?.images?.nodes?.[0]?.id, jobId: data?.ingestJobs?.[0]?.id };
  } catch {
    return {};
  }
}

const root = createRoot(document.getElementById("graphiql")!);
root.render(createElement(GraphiQL, { fetcher, defaultTabs: exampleTabs(await exampleIds()), defaultEditorToolsVisibility: "variables" }));
