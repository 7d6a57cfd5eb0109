// Files for Upload variables: what callers may pass, and how it becomes multipart parts
// (https://github.com/jaydenseric/graphql-multipart-request-spec).
import type { DocumentNode, TypeNode } from "graphql";
import { SdkError } from "./errors.js";

/** A Node.js readable stream (fs.createReadStream(...) and the like), typed without Node's types. */
export interface NodeReadableLike {
  pipe(destination: never, options?: never): unknown;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

/**
 * Bytes to upload: a File or Blob, a Buffer, Uint8Array or ArrayBuffer, a web ReadableStream, and in Node.js
 * a file path or a readable stream.
 */
export type UploadSource = Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array> | NodeReadableLike | string;

/** An upload with the file name and media type the server should see. */
export interface NamedUpload {
  data: UploadSource;
  /** Default: the File's or path's own name, else the variable it was passed as ("image", "files.2"). */
  name?: string;
  type?: string;
}

export type Upload = UploadSource | NamedUpload;

/** How the Node.js entry opens a file path; the browser entry has none. */
export type PathReader = (path: string) => Promise<Blob>;

export interface UploadPart {
  /** Where the file goes in the operation, e.g. "variables.files.2". */
  path: string;
  blob: Blob;
  name: string;
}

const uploadVariablesOf = new WeakMap<DocumentNode, Set<string>>();

/** The operation's variables declared as Upload, [Upload] and so on. */
export function uploadVariables(document: DocumentNode): Set<string> {
  let names = uploadVariablesOf.get(document);
  if (!names) {
    names = new Set();
    for (const definition of document.definitions) {
      if (definition.kind !== "OperationDefinition") continue;
      for (const variable of definition.variableDefinitions ?? []) {
        if (namedType(variable.type) === "Upload") names.add(variable.variable.name.value);
      }
    }
    uploadVariablesOf.set(document, names);
  }
  return names;
}

function namedType(type: TypeNode): string {
  return type.kind === "NamedType" ? type.name.value : namedType(type.type);
}

/** Replaces every upload in the variables with null, as the spec wants, and reads each into a part. */
export async function extractUploads(
  variables: Record<string, unknown> | undefined,
  uploadNames: Set<string>,
  readPath: PathReader | undefined,
): Promise<{ variables: Record<string, unknown> | undefined; parts: UploadPart[] }> {
  if (!variables || uploadNames.size === 0) return { variables, parts: [] };
  const found: Array<{ path: string; upload: Upload }> = [];
  const nulled = (value: unknown, path: string): unknown => {
    if (value === null || value === undefined) return value;
    if (Array.isArray(value)) return value.map((item, i) => nulled(item, `${path}.${i}`));
    found.push({ path, upload: value as Upload });
    return null;
  };
  const out: Record<string, unknown> = { ...variables };
  for (const name of uploadNames) if (name in out) out[name] = nulled(out[name], name);
  const parts = await Promise.all(
    found.map(async ({ path, upload }) => ({ path: `variables.${path}`, ...(await readUpload(upload, path, readPath)) })),
  );
  return { variables: out, parts };
}

async function readUpload(upload: Upload, variablePath: string, readPath: PathReader | undefined): Promise<{ blob: Blob; name: string }> {
  const named = isNamedUpload(upload) ? upload : undefined;
  const source = named ? named.data : (upload as UploadSource);
  let { blob, name } = await readSource(source, variablePath, readPath);
  if (named?.type && blob.type !== named.type) blob = new Blob([blob], { type: named.type });
  return { blob, name: named?.name ?? name ?? variablePath };
}

async function readSource(source: UploadSource, variablePath: string, readPath: PathReader | undefined): Promise<{ blob: Blob; name?: string }> {
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return { blob: source, name: typeof File !== "undefined" && source instanceof File && source.name ? source.name : undefined };
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) };
  }
  if (typeof source === "string") {
    if (!readPath) throw new SdkError("INVALID_UPLOAD", `${variablePath}: file paths can only be uploaded from Node.js; pass a File, Blob or bytes`);
    try {
      return { blob: await readPath(source), name: baseName(source) };
    } catch (cause) {
      throw new SdkError("INVALID_UPLOAD", `${variablePath}: cannot read ${source}: ${(cause as Error).message}`, { cause });
    }
  }
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    return { blob: await new Response(source).blob() };
  }
  if (isNodeReadable(source)) {
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of source) chunks.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array));
    } catch (cause) {
      throw new SdkError("INVALID_UPLOAD", `${variablePath}: cannot read the stream: ${(cause as Error).message}`, { cause });
    }
    const streamPath = (source as { path?: unknown }).path;
    return { blob: new Blob(chunks as Uint8Array<ArrayBuffer>[]), name: typeof streamPath === "string" ? baseName(streamPath) : undefined };
  }
  throw new SdkError("INVALID_UPLOAD", `${variablePath}: expected a File, Blob, Buffer, Uint8Array, ArrayBuffer, stream or file path`);
}

function isNamedUpload(value: Upload): value is NamedUpload {
  return typeof value === "object" && value !== null && "data" in value && !(typeof Blob !== "undefined" && value instanceof Blob) && !ArrayBuffer.isView(value);
}

function isNodeReadable(value: unknown): value is NodeReadableLike {
  return typeof value === "object" && value !== null && typeof (value as NodeReadableLike).pipe === "function" && Symbol.asyncIterator in value;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
