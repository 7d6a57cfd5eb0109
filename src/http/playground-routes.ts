// GET /graphql from a browser (it prefers HTML) answers GraphiQL, served from the bundle; every other
// request, GraphQL GETs with ?query= included, goes on to Apollo.
import { Router } from "express";
import { sendPage, WEB_DIR } from "./web-pages.js";

export function playgroundRoutes(graphqlPath: string, dir = WEB_DIR): Router {
  const router = Router();
  router.get(graphqlPath, (req, res, next) => {
    if (req.query.query !== undefined || req.accepts(["application/graphql-response+json", "application/json", "text/html"]) !== "text/html") return next();
    // The page loads its assets by relative URL, which a trailing slash would send to /graphql/assets.
    if (req.path.endsWith("/")) return res.redirect(308, graphqlPath);
    sendPage(res, dir, "playground.html");
  });
  return router;
}
