// `mmrag search | similar | stats | models` as child processes against a real server (and a loopback LLM):
// their text and --json output, --help everywhere, and exit codes on failure.
import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { TEST_MODELS_DIR } from "../support/models.js";
import { startOpenAIStub, type OpenAIStub } from "../support/openai-stub-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { buildSdk } from "../sdk/support.js";
import { runCli } from "./support.js";

const REASONS = "Candidate 2 puts the query's pattern on a phone case.";
let server: TestServer;
let stub: OpenAIStub;
let dir: string;
let queryPath: string;
const ids: string[] = [];

beforeAll(async () => {
  [stub, dir] = await Promise.all([startOpenAIStub({ content: `Ranked list: [2, 1]\nReasons: ${REASONS}` }), tempDir("mmrag-cli-"), buildSdk()]);
  server = await startTestServer({ env: { OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: "sk-test", RERANK_RESPONSE_FORMAT: "text", RERANK_MAX_RETRIES: "0", RERANK_TIMEOUT_MS: "5000" } });
  for (let i = 0; i < 12; i++) {
    const res = await server.upload(
      `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`,
      { metadata: { title: `product ${i}` } },
      { file: { bytes: await makeJpeg(300 + i, 320, 240), name: `p${i}.jpg`, type: "image/jpeg" } },
    );
    ids.push(res.data!.addImage.image.id);
  }
  queryPath = path.join(dir, "query.jpg");
  await fs.writeFile(queryPath, await makeJpeg(5, 640, 480));
}, 180_000);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("mmrag --help", () => {
  it("describes every command", async () => {
    const commands = [[], ["serve"], ["ingest"], ["search"], ["similar"], ["stats"], ["models"], ["models", "list"], ["models", "pull"], ["demo"], ["jobs"], ["jobs", "cancel"], ["catalogues"]];
    const [version, ...runs] = await Promise.all([runCli(["--version"]), ...commands.map((c) => runCli([...c, "--help"]))]);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    runs.forEach((run, i) => {
      expect(run.code, commands[i].join(" ")).toBe(0);
      expect(run.stdout).toContain(`Usage: mmrag${commands[i].length ? ` ${commands[i].join(" ")}` : ""}`);
    });
    expect(runs[3].stdout).toContain("--no-rerank");
    expect(runs[3].stdout).toContain("(env: MMRAG_URL)");
    expect(runs[3].stdout).toContain("(env: MMRAG_CATALOGUE)");
    // Help fits an 80-column terminal (demo's default URLs are the exception: a URL cannot be broken).
    runs.forEach((run, i) => {
      if (commands[i][0] !== "demo") for (const line of run.stdout.split("\n")) expect(line.length, `${commands[i].join(" ")}: ${line}`).toBeLessThanOrEqual(80);
    });
  }, 180_000);

  it("fails with a usage message on a wrong call", async () => {
    const [unknown, noImage, badLimit] = await Promise.all([runCli(["frobnicate"]), runCli(["search", "--text", "x"]), runCli(["search", "--image", queryPath, "--text", "x", "--limit", "500"])]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain("give the query image as --image PATH or --image-id ID");
    expect(badLimit.code).not.toBe(0);
    expect(badLimit.stderr).toContain("a whole number from 1 to 100");
  });

  it("exits 2 for a missing option or argument, as for any other wrong call", async () => {
    const [noText, noId, badOption] = await Promise.all([runCli(["search", "--image", queryPath]), runCli(["similar"]), runCli(["stats", "--frobnicate"])]);
    expect(noText.code).toBe(2);
    expect(noText.stderr).toContain("required option '--text <instruction>' not specified");
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain("missing required argument 'imageId'");
    expect(badOption.code).toBe(2);
  });
});

describe("mmrag search", () => {
  it("prints the ranking, the best pick with the LLM's reasons, and writes the panorama", async () => {
    stub.requests.length = 0;
    const panorama = path.join(dir, "out", "panorama.jpg");
    const run = await runCli(["search", "--image", queryPath, "--text", "phone case with this image theme", "--limit", "5", "--panorama", panorama], { env: { MMRAG_URL: server.url } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^rank\s+score\s+vector\s+id\s+title$/);
    const rows = lines.slice(2, 7);
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(["1", "2", "3", "4", "5"]);
    // Short ids (12 hex digits, like git), so a row fits an 80-column terminal.
    expect(rows[0]).toMatch(/^ {3}1 +-?\d\.\d{3} +#2 +[0-9a-f]{12} +product \d+ +<- best$/);
    expect(run.stdout).toMatch(/\nBest pick: product \d+ [0-9a-f]{12} \(score -?\d\.\d{3}\)\n/);
    for (const line of run.stdout.split("\n").slice(0, 7)) expect(line.length).toBeLessThanOrEqual(80);
    expect(run.stdout).toContain(`\nWhy: ${REASONS}\nReranked by gpt-4o.\n`);
    expect(run.stdout).toContain(`Panorama (what the LLM saw): ${panorama}`);
    expect(await sharp(panorama).metadata()).toMatchObject({ format: "jpeg" });
    expect(stub.requests).toHaveLength(1);
  });

  it("fits long titles into 80 columns", async () => {
    const long = "A very long product title that goes on and on about the phone case and its leopard print";
    const added = await server.upload(
      `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`,
      { metadata: { title: long } },
      { file: { bytes: await makeJpeg(5, 320, 240), name: "long.jpg", type: "image/jpeg" } },
    );
    try {
      const run = await runCli(["search", "--image", queryPath, "--text", "phone case", "--limit", "13", "--no-rerank"], { env: { MMRAG_URL: server.url } });
      expect(run.code).toBe(0);
      const table = run.stdout.split("\n\n")[0].split("\n");
      expect(table).toHaveLength(15);
      expect(table.find((line) => line.includes("A very long product"))).toMatch(/\.\.\.$/);
      for (const line of table) expect(line.length).toBeLessThanOrEqual(80);
    } finally {
      await server.graphql(`mutation ($id: ID!) { deleteImage(id: $id) }`, { id: added.data!.addImage.image.id });
    }
  });

  it("reads relative paths from the folder it was started in (npm run passes it as INIT_CWD), and writes no panorama unless asked", async () => {
    const repoPanorama = path.resolve("mmrag-panorama.jpg");
    const existed = await fs.access(repoPanorama).then(() => true, () => false);
    const run = await runCli(["search", "--image", "query.jpg", "--text", "phone case", "--limit", "3", "--panorama", "saved/panorama.jpg"], { env: { MMRAG_URL: server.url, INIT_CWD: dir } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Panorama (what the LLM saw): ${path.join(dir, "saved", "panorama.jpg")}`);
    expect(await sharp(path.join(dir, "saved", "panorama.jpg")).metadata()).toMatchObject({ format: "jpeg" });

    const plain = await runCli(["search", "--image", "query.jpg", "--text", "phone case", "--limit", "3"], { env: { MMRAG_URL: server.url, INIT_CWD: dir } });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/Panorama \(what the LLM saw\): http:\/\/127\.0\.0\.1:\d+\/panoramas\/\S+ \(--panorama FILE saves it\)/);
    if (!existed) expect(await fs.access(repoPanorama).then(() => true, () => false)).toBe(false);
    expect(await fs.access(path.join(dir, "mmrag-panorama.jpg")).then(() => true, () => false)).toBe(false);
  });

  it("--json answers the whole result for scripts", async () => {
    const run = await runCli(["search", "--image", queryPath, "--text", "phone case with this image theme", "--json", "--no-panorama", "--server", `${server.url}/graphql`]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ reranked: true, explanation: REASONS, instruction: "phone case with this image theme", panoramaFile: null });
    expect(result.ranking).toHaveLength(9);
    expect(result.best.image.id).toBe(result.hits[1].image.id);
  });

  it("--no-rerank keeps the vector order and says so; --image-id searches with a catalogue image", async () => {
    stub.requests.length = 0;
    const run = await runCli(["search", "--image-id", ids[3], "--text", "poster", "--no-rerank", "--limit", "3"], { env: { MMRAG_URL: server.url } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^rank\s+score\s+id\s+title$/m);
    expect(run.stdout).toContain("Not reranked, vector order:");
    expect(run.stdout).not.toContain("Panorama");
    expect(stub.requests).toHaveLength(0);
  });

  it("exits non-zero with the reason when the image is missing, not an image, or the server is down", async () => {
    const notImage = path.join(dir, "notes.jpg");
    await fs.writeFile(notImage, "plain text");
    const [missing, bad, down] = await Promise.all([
      runCli(["search", "--image", path.join(dir, "nope.jpg"), "--text", "x"], { env: { MMRAG_URL: server.url } }),
      runCli(["search", "--image", notImage, "--text", "x", "--no-panorama"], { env: { MMRAG_URL: server.url } }),
      runCli(["search", "--image", queryPath, "--text", "x", "--server", "http://127.0.0.1:9"]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read the query image ${path.join(dir, "nope.jpg")}`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mmrag: UNSUPPORTED_MEDIA_TYPE: /);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("mmrag: NETWORK_ERROR: Cannot reach http://127.0.0.1:9/graphql");
    expect(down.stderr).toContain("Is the mmrag server running at http://127.0.0.1:9?");
  });
});

describe("mmrag similar and stats", () => {
  it("lists the images most like a catalogue image", async () => {
    const [text, json, unknown] = await Promise.all([
      runCli(["similar", ids[0], "--limit", "3"], { env: { MMRAG_URL: server.url } }),
      runCli(["similar", ids[0], "--limit", "3", "--json"], { env: { MMRAG_URL: server.url } }),
      runCli(["similar", "f".repeat(64)], { env: { MMRAG_URL: server.url } }),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split("\n")).toHaveLength(5);
    const hits = JSON.parse(json.stdout);
    expect(hits.map((h: any) => h.rank)).toEqual([1, 2, 3]);
    expect(hits.map((h: any) => h.image.id)).not.toContain(ids[0]);
    expect(text.stdout).toContain(hits[0].image.id.slice(0, 12));
    expect(text.stdout).not.toContain(hits[0].image.id);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^mmrag: NOT_FOUND: /);
  });

  it("takes a unique start of an id, as the tables and the web demo show it", async () => {
    // The shortest prefix of ids[0] that no other id shares, but at least 4 digits.
    let length = 4;
    while (ids.some((id) => id !== ids[0] && id.startsWith(ids[0].slice(0, length)))) length++;
    const [byPrefix, byShortId, byFull, unknown, notHex] = await Promise.all([
      runCli(["similar", ids[0].slice(0, length), "--limit", "3", "--json"], { env: { MMRAG_URL: server.url } }),
      runCli(["search", "--image-id", ids[0].slice(0, 12), "--text", "poster", "--no-rerank", "--limit", "3", "--json"], { env: { MMRAG_URL: server.url } }),
      runCli(["similar", ids[0], "--limit", "3", "--json"], { env: { MMRAG_URL: server.url } }),
      runCli(["similar", "ffff0000"], { env: { MMRAG_URL: server.url } }),
      runCli(["similar", "leopard"], { env: { MMRAG_URL: server.url } }),
    ]);
    expect(byPrefix.code, byPrefix.stderr).toBe(0);
    expect(JSON.parse(byPrefix.stdout)).toEqual(JSON.parse(byFull.stdout));
    expect(byShortId.code, byShortId.stderr).toBe(0);
    expect(JSON.parse(byShortId.stdout).hits).toHaveLength(3);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("mmrag: NOT_FOUND: no catalogue image has an id starting with ffff0000\n");
    expect(notHex.code).toBe(2);
    expect(notHex.stderr).toContain('"leopard" is not an image id');
  });

  it("reports what the server holds", async () => {
    const [text, json] = await Promise.all([runCli(["stats"], { env: { MMRAG_URL: server.url } }), runCli(["stats", "--json"], { env: { MMRAG_URL: server.url } })]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Images: {2}12\nModel: {3}generated-vbge-tiny \(visualized-bge, \d+-d, [\w-]+\)\nMilvus: {2}milvus-lite, collection mmrag_images, FLAT index/);
    expect(text.stdout).toContain("Warning: ");
    expect(JSON.parse(json.stdout)).toMatchObject({ images: 12, backend: "milvus-lite", model: { generated: true } });
  });
});

describe("mmrag models", () => {
  it("lists the local model folders", async () => {
    const [text, json] = await Promise.all([runCli(["models", "list"], { env: { MODELS_DIR: TEST_MODELS_DIR } }), runCli(["models", "list", "--json"], { env: { MODELS_DIR: TEST_MODELS_DIR } })]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/generated-vbge-tiny\s+visualized-bge\s+\d+-d {2}ready {2}\(GENERATED, random weights\)/);
    expect(JSON.parse(json.stdout)).toContainEqual(expect.objectContaining({ name: "generated-vbge-tiny", status: "ready", generated: true }));
  });

  it("generates a random-weight model, then verifies its files and names one that was altered", async () => {
    const modelsDir = await tempDir("mmrag-cli-models-");
    try {
      const generated = await runCli(["models", "generate", "clip-tiny", "--json"], { env: { MODELS_DIR: modelsDir } });
      expect(generated.code).toBe(0);
      const { folder } = JSON.parse(generated.stdout);
      expect(folder).toBe(path.join(modelsDir, ".generated", "generated-clip-tiny"));
      const env = { MODELS_DIR: path.dirname(folder) };
      const ok = await runCli(["models", "verify", "generated-clip-tiny", "--json"], { env });
      expect(ok.code).toBe(0);
      const files = JSON.parse(ok.stdout) as { role: string; path: string; status: string }[];
      expect(files.map((f) => f.status)).toEqual(files.map(() => "ok"));
      expect(files.map((f) => f.role)).toEqual(expect.arrayContaining(["text", "vision", "tokenizer"]));
      const vision = files.find((f) => f.role === "vision")!.path;
      const bytes = await fs.readFile(vision);
      bytes[bytes.length - 1] ^= 0xff;
      await fs.writeFile(vision, bytes);
      const bad = await runCli(["models", "verify", "generated-clip-tiny"], { env });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/bad sha256\s+vision:/);
    } finally {
      await fs.rm(modelsDir, { recursive: true, force: true });
    }
  });

  it("says so quickly when the hub cannot be reached", async () => {
    const modelsDir = await tempDir("mmrag-cli-models-");
    const run = await runCli(["models", "pull", "clip-vit-base-patch32"], { env: { MODELS_DIR: modelsDir, HF_ENDPOINT: "http://127.0.0.1:9" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Could not reach the model hub at http://127.0.0.1:9");
    expect(run.ms).toBeLessThan(20_000);
    await fs.rm(modelsDir, { recursive: true, force: true });
  });
});
