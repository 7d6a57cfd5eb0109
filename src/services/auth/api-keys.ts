// API keys live in API_KEYS_FILE as name, role and the key's SHA-256: the key itself is shown once, when it
// is made, and never stored. The server re-reads the file when it changes, so `mmrag keys add|revoke` take
// effect without a restart.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { isRole, type Role } from "./roles.js";

export interface StoredKey {
  name: string;
  role: Role;
  sha256: string;
  createdAt: string;
}

export interface KeyFile {
  keys: StoredKey[];
}

const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function readKeyFile(file: string): KeyFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { keys: [] };
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<KeyFile>;
  const keys = Array.isArray(parsed.keys) ? parsed.keys : [];
  for (const k of keys) {
    if (typeof k?.name !== "string" || !isRole(String(k.role)) || !/^[0-9a-f]{64}$/.test(String(k.sha256))) {
      throw new Error(`${file}: every key needs a name, a role (read, write, admin) and a sha256`);
    }
  }
  return { keys };
}

/** Writes through a temporary file and a rename, so a reader never sees half a file; only the owner may read it. */
function writeKeyFile(file: string, content: KeyFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** Makes a key, stores its hash under `name`, and returns the key: the only time anyone sees it. */
export function addKey(file: string, name: string, role: Role): string {
  if (!NAME.test(name)) throw new Error(`Key names are letters, digits, ".", "_" and "-" (up to 64), got ${JSON.stringify(name)}`);
  const content = readKeyFile(file);
  if (content.keys.some((k) => k.name === name)) throw new Error(`A key named ${JSON.stringify(name)} exists; revoke it first`);
  const key = `mmrag_${randomBytes(32).toString("base64url")}`;
  content.keys.push({ name, role, sha256: hashKey(key), createdAt: new Date().toISOString() });
  writeKeyFile(file, content);
  return key;
}

export function revokeKey(file: string, name: string): boolean {
  const content = readKeyFile(file);
  const kept = content.keys.filter((k) => k.name !== name);
  if (kept.length === content.keys.length) return false;
  writeKeyFile(file, { keys: kept });
  return true;
}

export interface KeyHolder {
  name: string;
  role: Role;
}

/** The server's view of the key file: looks a presented key up by its hash. */
export class KeyRing {
  private byHash = new Map<string, KeyHolder>();
  private loadedMtime = -1;
  private checkedAt = 0;

  constructor(private readonly file: string) {
    this.reload();
  }

  get size(): number {
    this.refresh();
    return this.byHash.size;
  }

  find(key: string): KeyHolder | undefined {
    this.refresh();
    return this.byHash.get(hashKey(key));
  }

  /** At most once a second: a changed file (new or revoked key) is read again. */
  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    const mtime = fs.statSync(this.file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (mtime !== this.loadedMtime) this.reload();
  }

  private reload(): void {
    this.loadedMtime = fs.statSync(this.file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    this.byHash = new Map(readKeyFile(this.file).keys.map((k) => [k.sha256, { name: k.name, role: k.role }]));
  }
}
