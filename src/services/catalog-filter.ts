// A user's catalogue filter as a value; the vector-store adapter turns it into its own query language.

export type MetadataValue = string | number | boolean;

export interface CatalogFilter {
  format?: string;
  /** Each key must equal its value; dotted keys reach into nested objects ("brand.name"). */
  metadata?: Record<string, MetadataValue | MetadataValue[]>;
  createdAfter?: Date;
  createdBefore?: Date;
}
