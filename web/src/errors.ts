// What went wrong, in words a person can act on, from the SDK's stable error codes.
import { isSdkError } from "@mmrag/sdk/browser";

/** Fired on window when a call was refused for want of a (valid) API key. */
export const API_KEY_NEEDED = "mmrag:api-key-needed";

export function plainWords(error: unknown, doing: string): string {
  if (!isSdkError(error)) return `Something went wrong while ${doing}: ${error instanceof Error ? error.message : String(error)}`;
  switch (error.code) {
    case "UNAUTHENTICATED":
      // The page asks for a key (see api-key.ts); the message says why it did.
      window.dispatchEvent(new CustomEvent(API_KEY_NEEDED, { detail: error.message }));
      return "This server needs an API key: enter it in the box at the top of the page.";
    case "NETWORK_ERROR":
      return `Could not reach the mmrag server while ${doing}. Is it still running? Reload the page once it is back.`;
    case "UNSUPPORTED_MEDIA_TYPE":
      return "That file is not an image the server can read. Use a JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF picture.";
    case "PAYLOAD_TOO_LARGE":
      return "That file is larger than this server accepts (MAX_UPLOAD_BYTES). Try a smaller picture.";
    case "NOT_FOUND":
      return "That image is no longer in the catalogue; someone may have deleted it. Reload to see the current catalogue.";
    case "UPSTREAM_UNAVAILABLE": {
      const service = typeof error.extensions?.service === "string" ? error.extensions.service : "a service it needs";
      return `The server cannot reach ${service} right now. Try again in a moment.`;
    }
    case "BAD_USER_INPUT":
    case "FORBIDDEN":
      // These messages are written for the person who sent the request.
      return error.message;
    default:
      return `The server could not finish ${doing} (${error.code}). Its log has the details.`;
  }
}
