// A loopback stand-in for the sample set's download host: a .tar.gz of generated JPEGs in the bootcamp's
// layout (images_folder/images/*.jpg), a query image, and a route that accepts and never answers.
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { c as createTar } from "tar";
import { makeJpeg } from "../support/images.js";

export interface SampleServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startSampleServer(workDir: string, imageCount: number): Promise<SampleServer> {
  const images = path.join(workDir, "images_folder", "images");
  await fs.mkdir(images, { recursive: true });
  for (let i = 0; i < imageCount; i++) await fs.writeFile(path.join(images, `product_${i}.jpg`), await makeJpeg(500 + i, 240, 180));
  await fs.writeFile(path.join(workDir, "images_folder", "README.txt"), "sample product images");
  const archive = path.join(workDir, "amazon_reviews_2023_subset.tar.gz");
  await createTar({ gzip: true, file: archive, cwd: workDir }, ["images_folder"]);
  const files: Record<string, { bytes: Buffer; type: string }> = {
    "/data/amazon_reviews_2023_subset.tar.gz": { bytes: await fs.readFile(archive), type: "application/gzip" },
    "/data/leopard.jpg": { bytes: await makeJpeg(9, 400, 300), type: "image/jpeg" },
  };

  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/hang") return; // holds the connection until close()
    const file = files[req.url ?? ""];
    if (!file) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": file.type, "content-length": file.bytes.length }).end(file.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
