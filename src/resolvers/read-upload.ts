// Multipart uploads, read where the bytes arrive with the size limit enforced there: a single image into
// memory (the image gate needs all its bytes), an ingest batch straight to the spool on disk, one file at
// a time, so a request never holds more than one upload's bytes.
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import type { FileUpload } from "graphql-upload-minimal";
import { AppError, BadUserInputError, PayloadTooLargeError } from "../errors.js";

type UploadArg = Promise<FileUpload> | FileUpload;

export async function readUpload(upload: UploadArg, maxBytes: number, field = "file"): Promise<Buffer> {
  const file = await arrived(upload, field);
  const chunks: Buffer[] = [];
  await consume(file, maxBytes, field, async (source) => {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  return Buffer.concat(chunks);
}

export interface SpooledUpload {
  name: string;
  /** The file on disk holding exactly the uploaded bytes. */
  path: string;
}

/**
 * Writes each upload to `dir` as it arrives, in request order. On any refusal (too large, broken off,
 * not a file) the folder is removed, so nothing is kept.
 */
export async function spoolUploads(uploads: UploadArg[], dir: string, maxBytes: number, field = "files"): Promise<SpooledUpload[]> {
  await fs.mkdir(dir, { recursive: true });
  const spooled: SpooledUpload[] = [];
  try {
    for (const [i, upload] of uploads.entries()) {
      const file = await arrived(upload, `${field}.${i}`);
      const target = path.join(dir, String(i));
      await consume(file, maxBytes, `${field}.${i}`, createWriteStream(target, { flags: "wx" }));
      spooled.push({ name: file.filename || `file ${i + 1}`, path: target });
    }
    return spooled;
  } catch (err) {
    // The uploads still to come are left to the upload middleware, which discards the rest of the body.
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function arrived(upload: UploadArg, field: string): Promise<FileUpload> {
  let file: FileUpload;
  try {
    file = await upload;
  } catch (err) {
    throw new BadUserInputError(`The upload "${field}" did not arrive: ${err instanceof Error ? err.message : String(err)}`, { field });
  }
  if (!file || typeof file.createReadStream !== "function") {
    throw new BadUserInputError(`"${field}" must be a file sent as a multipart upload`, { field });
  }
  return file;
}

/**
 * Pipes the upload into `sink` through a byte counter that fails as soon as the count passes `maxBytes`.
 * A stream the parser marks `truncated` is refused too: a cut file must never pass for the whole one.
 */
async function consume(
  file: FileUpload,
  maxBytes: number,
  field: string,
  sink: NodeJS.WritableStream | ((source: AsyncIterable<unknown>) => Promise<void>),
): Promise<void> {
  const tooLarge = () => new PayloadTooLargeError(`"${file.filename}" is larger than the limit of ${maxBytes} bytes`, { field, maxBytes });
  let stream: Readable & { truncated?: boolean };
  try {
    stream = file.createReadStream() as Readable & { truncated?: boolean };
  } catch (err) {
    throw (err as { status?: number }).status === 413 ? tooLarge() : new BadUserInputError(`The upload "${file.filename}" cannot be read: ${String(err)}`, { field });
  }
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(size > maxBytes ? tooLarge() : null, chunk);
    },
  });
  try {
    await pipeline(stream, counter, sink);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as { status?: number }).status === 413) throw tooLarge();
    throw new BadUserInputError(`The upload "${file.filename}" broke off: ${err instanceof Error ? err.message : String(err)}`, { field });
  }
  if (stream.truncated) throw tooLarge();
}
