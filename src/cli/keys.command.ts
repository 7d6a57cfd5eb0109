// `mmrag keys add|list|revoke`: the API keys in API_KEYS_FILE (or --file). A key is printed once, when it is
// made; the file keeps only its SHA-256. A running server picks changes up within a second.
// Also the global `--api-key` option (or MMRAG_API_KEY) that commands talking to a server send.
import { Command, InvalidArgumentError, Option } from "commander";
import path from "node:path";
import { addKey, readKeyFile, revokeKey } from "../services/auth/api-keys.js";
import { isRole, ROLES, type Role } from "../services/auth/roles.js";

const fileOption = () => new Option("--file <file>", "the key file (default: API_KEYS_FILE)").env("API_KEYS_FILE");

function keyFile(options: { file?: string }): string {
  if (!options.file) throw new Error("Name the key file with --file <file> or API_KEYS_FILE");
  return path.resolve(options.file);
}

function role(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`one of ${ROLES.join(", ")}`);
  return value;
}

/** Runs an action, printing a failure as one line and exiting 1, like the other commands. */
function action<A extends unknown[]>(work: (...args: A) => void) {
  return (...args: A) => {
    try {
      work(...args);
    } catch (err) {
      console.error(`mmrag keys: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  };
}

export function keysCommand(): Command {
  const keys = new Command("keys").description("API keys for a server with API_KEYS_FILE: add, list, revoke");
  keys
    .command("add")
    .description("Make a key and print it (only this once); the file stores its hash")
    .argument("<name>", "who the key is for, e.g. partner-a")
    .requiredOption("--role <role>", "read (queries, searches, subscriptions), write (+ add and ingest uploads), admin (everything)", role)
    .addOption(fileOption())
    .option("--json", 'print {"name","role","key"}')
    .action(
      action((name: string, options: { role: Role; file?: string; json?: boolean }) => {
        const file = keyFile(options);
        const key = addKey(file, name, options.role);
        if (options.json) console.log(JSON.stringify({ name, role: options.role, key }));
        else console.log(`${key}\n\nKey "${name}" (${options.role}) added to ${file}. This is the only time it is shown: keep it now.`);
      }),
    );
  keys
    .command("list")
    .description("The keys' names, roles and creation dates (never the keys)")
    .addOption(fileOption())
    .option("--json", "print JSON")
    .action(
      action((options: { file?: string; json?: boolean }) => {
        const list = readKeyFile(keyFile(options)).keys.map(({ name, role, createdAt }) => ({ name, role, createdAt }));
        if (options.json) console.log(JSON.stringify(list, null, 2));
        else if (list.length === 0) console.log("No keys yet. Add one with `mmrag keys add <name> --role read|write|admin`.");
        else for (const k of list) console.log(`${k.name.padEnd(24)} ${k.role.padEnd(6)} ${k.createdAt}`);
      }),
    );
  keys
    .command("revoke")
    .description("Remove a key; a running server refuses it within a second")
    .argument("<name>")
    .addOption(fileOption())
    .action(
      action((name: string, options: { file?: string }) => {
        if (!revokeKey(keyFile(options), name)) throw new Error(`No key named ${JSON.stringify(name)}`);
        console.log(`Key "${name}" revoked.`);
      }),
    );
  return keys;
}

/** `--api-key <key>` on every command; it reaches the SDK client through MMRAG_API_KEY (src/cli/connect.ts). */
export function withApiKeyOption(program: Command): Command {
  return program.addOption(new Option("--api-key <key>", "the API key for a server that needs one").env("MMRAG_API_KEY")).hook("preAction", (root) => {
    const key = root.opts().apiKey as string | undefined;
    if (key) process.env.MMRAG_API_KEY = key;
  });
}
