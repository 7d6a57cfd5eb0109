// `mmrag demo`: downloads the sample catalogue (when the network allows), loads it, and prints a search to
// try. Offline, it says so within seconds and what to do instead.
import path from "node:path";
import { loadConfig, type Env } from "../config.js";
import { withConnection } from "./connect.js";
import { fromInvokingDir } from "./paths.js";
import { jobProgressBar } from "./progress-bar.js";
import { fetchSampleSet, SAMPLE_INSTRUCTION, SampleSetUnavailableError, type SampleSet } from "./sample-set.js";
import { uploadImages } from "./upload-images.js";

export interface DemoOptions {
  dir?: string;
  dataUrl: string;
  queryUrl: string;
  timeout: number;
  server?: string;
  json?: boolean;
}

export async function demoCommand(options: DemoOptions, env: Env): Promise<number> {
  const dir = fromInvokingDir(options.dir ?? path.join(loadConfig(env).dataDir, "demo"), env);
  let sample: SampleSet;
  try {
    if (!options.json) console.error(`Fetching the sample catalogue into ${dir} ...`);
    sample = await fetchSampleSet(dir, { dataUrl: options.dataUrl, queryUrl: options.queryUrl, timeoutMs: options.timeout, onProgress: options.json ? undefined : downloadLine() });
  } catch (err) {
    if (!(err instanceof SampleSetUnavailableError)) throw err;
    console.error(offlineAdvice(err, dir, options));
    return 1;
  }

  const { totals, warning } = await withConnection(options.server, env, async ({ client }) => {
    const bar = options.json ? undefined : jobProgressBar(`Loading ${sample.images.length} images`);
    const totals = await uploadImages(client, sample.images, { onProgress: (t) => bar?.update(t) });
    bar?.stop();
    return { totals, warning: (await client.stats()).model.warning };
  });

  const search = `mmrag search --image ${quote(sample.queryImage)} --text ${quote(SAMPLE_INSTRUCTION)}${options.server ? ` --server ${options.server}` : ""}`;
  if (options.json) {
    console.log(JSON.stringify({ catalogueDir: sample.catalogueDir, queryImage: sample.queryImage, instruction: SAMPLE_INSTRUCTION, ...totals, search }, null, 2));
  } else {
    const lines = [
      `\nThe sample catalogue is loaded: ${totals.succeeded} added, ${totals.skipped} already there, ${totals.failed} failed, of ${totals.total}.`,
      ...totals.errors.slice(0, 10).map((e) => `  ${e.item}: ${e.code}: ${e.message}`),
      "",
      "Try a search with the sample query image (a leopard) and an instruction:",
      `  ${search}`,
    ];
    if (options.server) lines.push(`or open ${options.server.replace(/\/graphql\/?$/, "")}/ in a browser and drop ${sample.queryImage} there.`);
    if (warning) lines.push("", `Note: ${warning} Pull a real model with \`mmrag models pull clip-vit-base-patch32\`.`);
    console.log(lines.join("\n"));
  }
  return totals.failed === 0 ? 0 : 1;
}

function offlineAdvice(err: SampleSetUnavailableError, dir: string, options: DemoOptions): string {
  return [
    `mmrag demo: ${err.message}`,
    "The network does not seem to allow it from here (offline, or the host is blocked). Instead:",
    "  1. put a few product images in a folder and load them:   mmrag ingest ./my-images",
    `  2. search with any picture:                              mmrag search --image ./query.jpg --text ${quote(SAMPLE_INSTRUCTION)}`,
    `Or fetch ${options.dataUrl} and ${options.queryUrl} on a machine that can,`,
    `copy both files into ${dir}, and run \`mmrag demo\` again: it uses files already there.`,
  ].join("\n");
}

function downloadLine(): (what: string, done: number, total: number | undefined) => void {
  let last = 0;
  return (what, done, total) => {
    if (!process.stderr.isTTY || (Date.now() - last < 200 && done !== total)) return;
    last = Date.now();
    const mb = (n: number) => (n / 1e6).toFixed(1);
    process.stderr.write(`\r${what} ${mb(done)}${total ? `/${mb(total)}` : ""} MB `);
    if (done === total) process.stderr.write("\n");
  };
}

function quote(arg: string): string {
  return /^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
