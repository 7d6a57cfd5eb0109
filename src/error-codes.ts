// The one list of error codes lives with the SDK, so server and client never drift. It is plain JavaScript with
// a generated .d.ts, so tsc (rootDir src), tsx and the built dist/ all import that very file without a build step.
export { ERROR_CODES, type ErrorCode } from "../sdk/src/error-codes.js";
