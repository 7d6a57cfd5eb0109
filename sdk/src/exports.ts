// Everything both entries (Node.js and browsers) export, except createClient.
import type { ImageFieldsFragment, SearchComposedMutation, SearchHitFieldsFragment, StatsQuery } from "./generated/graphql.js";

export * from "./generated/graphql.js";
export { ERROR_CODES, CLIENT_ERROR_CODES, SdkError, isSdkError } from "./errors.js";
export type { ErrorCode, ClientErrorCode, GraphQLErrorPayload, SdkErrorOptions } from "./errors.js";
export { FINAL_INGEST_STATUSES, toWebSocketUrl } from "./client.js";
export type { ClientOptions, RequestOptions, MmragClient, OperationMethods, GeneratedSdk, IngestJob, IngestAndWaitOptions } from "./client.js";
export type { Upload, UploadSource, NamedUpload, NodeReadableLike } from "./uploads.js";
export type { UploadProgress } from "./xhr-post.js";

export type Image = ImageFieldsFragment;
export type SearchHit = SearchHitFieldsFragment;
export type RankedResult = SearchComposedMutation["searchComposed"];
export type Stats = StatsQuery["stats"];
