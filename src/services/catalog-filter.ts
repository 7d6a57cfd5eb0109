// A user's catalogue filter as a value; the vector-store adapter turns it into its own query language.

export type MetadataValue = string | number | boolean;

export interface CatalogFilter {
  format?: string;
  /** Each key must equal its value; dotted keys reach into nested objects ("brand.name"). */
  metadata?: Record<string, MetadataValue | MetadataValue[]>;
  createdAfter?: Date;
  createdBefore?: Date;
  /** Text the metadata's title must contain, matched as written (case-sensitive). */
  titleContains?: string;
}

/** The orders a catalogue can be listed in. */
export type ImageOrder = "NEWEST_FIRST" | "OLDEST_FIRST" | "ID";
