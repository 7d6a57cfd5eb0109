#!/usr/bin/env node
// The `mmrag` command line.
import "reflect-metadata";
import { Command, InvalidArgumentError } from "commander";
import { loadConfig } from "../config.js";
import { reportStartupError, serve } from "../serve.js";
import { ingestCommand } from "./ingest.command.js";

const program = new Command("mmrag").description("Multimodal retrieval-augmented search: a GraphQL server and its tools").showHelpAfterError();

program
  .command("serve")
  .description("Run the GraphQL server (settings from the environment; see .env.example)")
  .option("-p, --port <port>", "port to listen on (overrides PORT)", (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError("a port number");
    return v;
  })
  .action(async (options: { port?: string }) => {
    await serve(() => loadConfig({ ...process.env, ...(options.port ? { PORT: options.port } : {}) }));
  });

program
  .command("ingest")
  .description("Add every image in a folder to the catalogue, with a progress bar; sidecar .json files become metadata")
  .argument("<folder>", "folder of images")
  .option("--no-recursive", "only the folder itself, not its subfolders")
  .option("--pattern <glob>", "which file names to take (default: common image extensions)")
  .option("--server <url>", "send the work to a running server instead of opening the local data dir (the folder must be under its INGEST_ROOTS)")
  .option("--json", "print the final job as JSON instead of a bar and summary")
  .action(async (folder: string, options: { recursive: boolean; pattern?: string; server?: string; json?: boolean }) => {
    try {
      process.exitCode = await ingestCommand(folder, options, process.env);
    } catch (err) {
      reportStartupError(err);
      process.exitCode = 2;
    }
  });

await program.parseAsync();
