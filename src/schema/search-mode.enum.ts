import { registerEnumType } from "type-graphql";

export enum SearchMode {
  VECTOR = "VECTOR",
  KEYWORD = "KEYWORD",
  HYBRID = "HYBRID",
}

registerEnumType(SearchMode, {
  name: "SearchMode",
  description: "How search(text) matches.",
  valuesConfig: {
    VECTOR: { description: "By meaning: the text's embedding against the images' (score: cosine similarity)." },
    KEYWORD: { description: "By words in the metadata (KEYWORD_FIELDS), Milvus BM25 (score: BM25). NOT_SUPPORTED on collections without a keyword index." },
    HYBRID: { description: "Both, fused by Milvus with reciprocal rank fusion, k = 60 (score: RRF). NOT_SUPPORTED like KEYWORD." },
  },
});
