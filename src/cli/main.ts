#!/usr/bin/env node
// The `mmrag` command line. Commands that read the catalogue talk to a server (--server or MMRAG_URL) through
// the SDK, or, with neither, open the local data dir in-process.
import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../config.js";
import { REPO_ROOT } from "../model-tooling/repo-paths.js";
import { serve } from "../serve.js";
import { cataloguesCommand, type CataloguesOptions } from "./catalogues.command.js";
import { demoCommand, type DemoOptions } from "./demo.command.js";
import { ingestCommand, type IngestOptions } from "./ingest.command.js";
import { jobsCancelCommand, jobsListCommand, type JobsOptions } from "./jobs.command.js";
import { keysCommand, withApiKeyOption } from "./keys.command.js";
import { modelsGenerateCommand, modelsListCommand, modelsPullCommand, modelsVerifyCommand } from "./models.command.js";
import { EXIT_USAGE, reportError } from "./report-error.js";
import { SAMPLE_QUERY_URL, SAMPLE_SET_URL } from "./sample-set.js";
import { searchCommand, type SearchOptions } from "./search.command.js";
import { similarCommand, type SimilarOptions } from "./similar.command.js";
import { statsCommand, type StatsOptions } from "./stats.command.js";

const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };

const program = new Command("mmrag")
  .description("Multimodal retrieval-augmented search: a GraphQL server and its tools")
  .version(version, "-V, --version", "print the version")
  .showHelpAfterError()
  .addHelpText("after", "\nRun `mmrag <command> --help` for a command's options.")
  // A wrong call (unknown option, missing argument) exits 2, as the README says; help and version exit 0.
  // Set before the commands are added, so every command inherits it.
  .exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  });

const serverOption = () =>
  new Option("--server <url>", "a running mmrag server, e.g. http://127.0.0.1:4000 (default: in-process on DATA_DIR)").env("MMRAG_URL");
const jsonOption = () => new Option("--json", "print JSON for scripts instead of text");
const catalogueOption = (what = "the catalogue to use", otherwise = '"default"') =>
  new Option("--catalogue <name>", `${what} (default: ${otherwise}; see \`mmrag catalogues\`)`).env("MMRAG_CATALOGUE");

const positiveInt = (max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`a whole number from 1 to ${max}`);
  return n;
};

/** Runs a command's work and turns its outcome into the exit code. */
function run<A extends unknown[]>(work: (...args: A) => Promise<number>, server?: (...args: A) => string | undefined) {
  return async (...args: A) => {
    try {
      process.exitCode = await work(...args);
    } catch (err) {
      process.exitCode = reportError(err, server?.(...args));
    }
  };
}

program
  .command("serve")
  .description("Run the GraphQL server, the web demo at / and the playground at /graphql (settings from the environment; see .env.example)")
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
  .addOption(new Option("--server <url>", "send the work to a running server instead of opening the local data dir (the folder must be under its INGEST_ROOTS)").env("MMRAG_URL"))
  .option("--json", "print the final job as JSON instead of a bar and summary")
  .addOption(catalogueOption("the catalogue to add the images to"))
  .action(
    run(
      (folder: string, options: IngestOptions) => ingestCommand(folder, options, process.env),
      (_folder, options) => options.server,
    ),
  );

program
  .command("search")
  .description("Composed search: the catalogue images that best fit a query image and an instruction, reranked by the vision LLM")
  .option("--image <path>", "the query image")
  .option("--image-id <id>", "a catalogue image as the query (its id, or a unique start of it), instead of --image")
  .requiredOption("--text <instruction>", 'what to find, relative to the image, e.g. "phone case with this image theme"')
  .option("--limit <n>", "candidates, 1 to 100", positiveInt(100), 9)
  .option("--no-rerank", "skip the LLM: vector order only")
  .option("--filter <json>", 'only images whose metadata matches, e.g. \'{"metadata": {"category": "phone case"}}\'', (v) => {
    try {
      return JSON.parse(v) as Record<string, unknown>;
    } catch {
      throw new InvalidArgumentError("a JSON object");
    }
  })
  .option("--panorama <file>", "save the panorama the LLM saw to this file (relative to the folder you are in)")
  .option("--no-panorama", "do not save the panorama (the default)")
  .addOption(catalogueOption("the catalogue to search"))
  .addOption(serverOption())
  .addOption(jsonOption())
  .addHelpText("after", '\nExample:\n  mmrag search --image leopard.jpg \\\n    --text "phone case with this image theme" --limit 9')
  .action(run((options: SearchOptions) => searchCommand(options, process.env), (options) => options.server));

program
  .command("similar")
  .description("The catalogue images that look most like one of its images")
  .argument("<imageId>", "a catalogue image's id (the sha256 of its bytes), or a unique start of it (4 or more hex digits)")
  .option("--limit <n>", "how many, 1 to 100", positiveInt(100), 9)
  .addOption(catalogueOption("the catalogue the image is in, and to search"))
  .addOption(serverOption())
  .addOption(jsonOption())
  .action(run((imageId: string, options: SimilarOptions) => similarCommand(imageId, options, process.env), (_id, options) => options.server));

program
  .command("stats")
  .description("How many images the catalogue holds, and the model and Milvus setup")
  .addOption(catalogueOption())
  .addOption(serverOption())
  .addOption(jsonOption())
  .action(run((options: StatsOptions) => statsCommand(options, process.env), (options) => options.server));

const jobs = program
  .command("jobs")
  .description("Ingest jobs on a server: the recent ones, and stopping one (`mmrag jobs cancel <id>`)")
  .option("--limit <n>", "how many of the most recent jobs, 1 to 100", positiveInt(100), 10)
  .addOption(catalogueOption("only jobs into this catalogue", "all"))
  .addOption(serverOption())
  .addOption(jsonOption())
  .action(run((options: JobsOptions) => jobsListCommand(options, process.env), (options) => options.server));
jobs
  .command("cancel")
  .description("Stop an ingest job: the images in flight finish, the rest are left out")
  .argument("<jobId>", "the job's id, as `mmrag jobs` prints it")
  .addOption(serverOption())
  .addOption(jsonOption())
  .action(run((jobId: string, options: { server?: string; json?: boolean }) => jobsCancelCommand(jobId, options, process.env), (_id, options) => options.server));

program
  .command("catalogues")
  .description("The catalogues, each with its images, model and Milvus collection (create one with the createCatalogue mutation)")
  .addOption(serverOption())
  .addOption(jsonOption())
  .action(run((options: CataloguesOptions) => cataloguesCommand(options, process.env), (options) => options.server));

const models = program.command("models").description("The embedding models on this machine (under MODELS_DIR)");
models
  .command("list")
  .description("The model folders under MODELS_DIR and whether each is complete")
  .addOption(jsonOption())
  .action(run((options: { json?: boolean }) => modelsListCommand(options, process.env)));
models
  .command("pull")
  .description("Download a model's files from the hub (HF_ENDPOINT), resuming a download that stopped")
  .argument("<name>", "a model with a manifest under models/, e.g. clip-vit-base-patch32")
  .addOption(jsonOption())
  .action(run((name: string, options: { json?: boolean }) => modelsPullCommand(name, options, process.env)));
models
  .command("verify")
  .description("Re-hash every file of a model folder against its model.json")
  .argument("<name>", "a folder under MODELS_DIR")
  .addOption(jsonOption())
  .action(run((name: string, options: { json?: boolean }) => modelsVerifyCommand(name, options, process.env)));
models
  .command("generate")
  .description("Write a generated model with random weights (NOT a real model) into MODELS_DIR/.generated: vbge-tiny, vbge-full, clip-tiny or clip-full")
  .argument("<kind>", "vbge-tiny | vbge-full | clip-tiny | clip-full")
  .addOption(jsonOption())
  .action(run((kind: string, options: { json?: boolean }) => modelsGenerateCommand(kind, options, process.env)));

program
  .command("demo")
  .description("Download the sample catalogue (about 900 Amazon product images) and a query image, load them, and print a search to try")
  .option("--dir <folder>", "where to keep the download (default: DATA_DIR/demo)")
  .option("--data-url <url>", "the sample set, a .tar.gz of images", SAMPLE_SET_URL)
  .option("--query-url <url>", "the sample query image", SAMPLE_QUERY_URL)
  .option("--timeout <ms>", "give up on a server that does not answer within this long", positiveInt(600_000), 10_000)
  .addOption(serverOption())
  .addOption(jsonOption())
  .action(run((options: DemoOptions) => demoCommand(options, process.env), (options) => options.server));

withApiKeyOption(program).addCommand(keysCommand());

await program.parseAsync();
