import { registerEnumType } from "type-graphql";

export enum ImageOrder {
  NEWEST_FIRST = "NEWEST_FIRST",
  OLDEST_FIRST = "OLDEST_FIRST",
  ID = "ID",
}

registerEnumType(ImageOrder, {
  name: "ImageOrder",
  description: "How the catalogue is listed.",
  valuesConfig: {
    NEWEST_FIRST: { description: "Most recently added first (by createdAt, then id)." },
    OLDEST_FIRST: { description: "Earliest added first (by createdAt, then id)." },
    ID: { description: "By id (the sha256 of the bytes): a stable order that costs Milvus least on very large catalogues." },
  },
});
