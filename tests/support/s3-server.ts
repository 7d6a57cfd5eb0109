// An S3-compatible server on loopback for the tests: moto's standalone server (Python, shipped on this
// machine's image). It keeps real objects and speaks the S3 REST API (ListObjectsV2 paging, HEAD, ranged
// and presigned GETs); it does not check signatures, so credentials are not under test here.
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import getPort from "get-port";
import { afterAll } from "vitest";

export interface S3Server {
  endpoint: string;
  /** What mmrag needs to reach it, besides IMAGE_STORE. */
  env: Record<string, string>;
  process: ChildProcess;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const running: S3Server[] = [];
afterAll(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

export const S3_CREDENTIALS = { accessKeyId: "mmrag-test", secretAccessKey: "mmrag-test-secret" };

export async function startS3Server(): Promise<S3Server> {
  const port = await getPort({ host: "127.0.0.1" });
  const child = spawn(process.env.MOTO_PYTHON ?? "python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3_CREDENTIALS });
  const server: S3Server = {
    endpoint,
    env: { S3_ENDPOINT: endpoint, S3_REGION: "us-east-1", S3_FORCE_PATH_STYLE: "true", AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey },
    process: child,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        if ((await Promise.race([exited.then(() => "exited"), sleep(5000)])) !== "exited") child.kill("SIGKILL");
        await exited;
      }
    },
  };
  running.push(server);
  for (const deadline = Date.now() + 30_000; ; ) {
    if (child.exitCode !== null) throw new Error(`The S3 server (python3 -m moto.server) exited during start-up: ${stderr}`);
    const up = await fetch(endpoint, { method: "HEAD" }).then(() => true, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`The S3 server did not answer on port ${port}: ${stderr}`);
    await sleep(100);
  }
  return server;
}
