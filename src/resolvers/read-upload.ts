// Reads one multipart upload into memory with a size cap; the image gate needs all the bytes anyway.
import type { FileUpload } from "graphql-upload-minimal";
import { BadUserInputError, PayloadTooLargeError } from "../errors.js";

export async function readUpload(upload: Promise<FileUpload> | FileUpload, maxBytes: number, field = "file"): Promise<Buffer> {
  let file: FileUpload;
  try {
    file = await upload;
  } catch (err) {
    throw new BadUserInputError(`The upload "${field}" did not arrive: ${err instanceof Error ? err.message : String(err)}`, { field });
  }
  if (!file || typeof file.createReadStream !== "function") {
    throw new BadUserInputError(`"${field}" must be a file sent as a multipart upload`, { field });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of file.createReadStream()) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new PayloadTooLargeError(`"${file.filename}" is larger than the limit of ${maxBytes} bytes`, { field, maxBytes });
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    // graphql-upload-minimal ends the stream with a 413-status error past maxFileSize.
    if ((err as { status?: number }).status === 413) {
      throw new PayloadTooLargeError(`"${file.filename}" is larger than the limit of ${maxBytes} bytes`, { field, maxBytes });
    }
    throw new BadUserInputError(`The upload "${file.filename}" broke off: ${err instanceof Error ? err.message : String(err)}`, { field });
  }
  return Buffer.concat(chunks, size);
}
