// The web demo at / and the bundle's scripts, styles and fonts under /assets.
import express, { Router } from "express";
import path from "node:path";
import { sendPage, WEB_DIR } from "./web-pages.js";

export function webRoutes(dir = WEB_DIR): Router {
  const router = Router();
  router.get("/", (_req, res) => sendPage(res, dir, "index.html"));
  router.use("/assets", express.static(path.join(dir, "assets"), { index: false, redirect: false, cacheControl: true, maxAge: 0 }));
  router.use("/assets", (_req, res) => {
    res.status(404).type("text/plain").send("No such asset. Rebuild the web pages with `npm run build:web`.\n");
  });
  return router;
}
