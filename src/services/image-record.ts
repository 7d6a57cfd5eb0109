// What the catalogue stores per image and what a vector search returns: the domain's words, free of Milvus.

export interface ImageRecord {
  /** sha256 of the original bytes. */
  id: string;
  /** Path of the original, relative to the image store. */
  storageKey: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** A record with the embedding it is found by. */
export type ImageRow = ImageRecord & { vector: Float32Array };

export interface VectorHit {
  record: ImageRecord;
  /** Cosine similarity, -1..1. */
  score: number;
}
