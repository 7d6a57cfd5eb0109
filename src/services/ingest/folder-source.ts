// Which files an ingestFolder request may read: only under the configured roots, after resolving
// "..", symlinks and the like to real paths, and only files that match the pattern.
import fs from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { BadUserInputError, ForbiddenError, NotFoundError } from "../../errors.js";

export const DEFAULT_PATTERN = "*.{jpg,jpeg,png,webp,gif,tif,tiff,avif,heic,heif}";

export async function resolveIngestFolder(requested: string, roots: string[]): Promise<string> {
  if (roots.length === 0) {
    throw new ForbiddenError("Folder ingest is off: set INGEST_ROOTS to the folders the server may read, or upload the files with ingestImages");
  }
  let real: string;
  try {
    real = await fs.realpath(path.resolve(requested));
  } catch {
    throw new NotFoundError("Folder", requested);
  }
  const realRoots = await Promise.all(roots.map((r) => fs.realpath(r).catch(() => path.resolve(r))));
  if (!realRoots.some((root) => isInside(real, root))) {
    throw new ForbiddenError(`${requested} is outside the folders this server may read (INGEST_ROOTS)`);
  }
  const stat = await fs.stat(real);
  if (!stat.isDirectory()) throw new NotFoundError("Folder", requested);
  return real;
}

export function isInside(candidate: string, root: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Paths relative to `folder`, sorted so a rerun walks the same order; symlinks are followed only inside it. */
export async function listImageFiles(folder: string, options: { recursive: boolean; pattern?: string }): Promise<string[]> {
  const matches = picomatch(options.pattern || DEFAULT_PATTERN, { nocase: true, basename: true, dot: false });
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      const relative = path.relative(folder, full);
      if (entry.isDirectory()) {
        if (options.recursive) await walk(full);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && matches(relative)) {
        found.push(relative);
      }
    }
  };
  await walk(folder);
  return found.sort();
}

/** Reads a file of the folder, refusing a symlink that leads outside it. */
export async function readInside(folder: string, relative: string): Promise<Buffer> {
  const real = await fs.realpath(path.join(folder, relative));
  if (!isInside(real, folder)) throw new ForbiddenError(`${relative} links outside the folder`);
  return fs.readFile(real);
}

/**
 * Metadata stored beside an image: "shoe.jpg" takes "shoe.json" or "shoe.jpg.json", as the bootcamp
 * data keeps each product's JSON next to its picture. With no sidecar, the file name without its
 * extension becomes the title, so the image is not known only by its hash.
 */
export async function readSidecar(folder: string, relative: string): Promise<Record<string, unknown>> {
  const base = relative.slice(0, relative.length - path.extname(relative).length);
  for (const candidate of [`${base}.json`, `${relative}.json`]) {
    let text: string;
    try {
      text = (await readInside(folder, candidate)).toString("utf8");
    } catch {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new BadUserInputError(`The metadata file ${candidate} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new BadUserInputError(`The metadata file ${candidate} is not a JSON object`);
    return parsed as Record<string, unknown>;
  }
  return { title: path.basename(base) };
}
