// The browser entry: no Node.js modules anywhere. Uploads are Files, Blobs, bytes or ReadableStreams.
import { createClientFor, type ClientOptions, type MmragClient } from "./client.js";

export * from "./exports.js";

export function createClient(options: ClientOptions): MmragClient {
  return createClientFor({}, options);
}
