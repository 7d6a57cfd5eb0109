// Which Host headers and browser Origins the server answers. Hosts: a DNS-rebinding page reaches us under its
// own domain name, so only PUBLIC_URL's host, ALLOWED_HOSTS, localhost and literal IP addresses are served.
// Origins: the server's own origin and CORS_ORIGINS, for CORS on HTTP and at the WebSocket upgrade (browsers
// send Origin on every WebSocket; a missing Origin is a non-browser client, which cross-site pages cannot be).
import net from "node:net";
import type { IncomingHttpHeaders } from "node:http";

export interface OriginPolicy {
  /** Host names (without port) besides localhost and IP literals. */
  allowedHosts: string[];
  /** Full origins ("https://app.example.com") allowed cross-origin, or "*" for any. */
  corsOrigins: string[];
}

/** "example.com:4000" → "example.com", "[::1]:4000" → "::1". */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1].toLowerCase();
  return host.replace(/:\d+$/, "").toLowerCase();
}

export function isAllowedHost(host: string | undefined, policy: OriginPolicy): boolean {
  if (!host) return false;
  const name = hostName(host);
  return name === "localhost" || name.endsWith(".localhost") || net.isIP(name) !== 0 || policy.allowedHosts.includes(name);
}

/** Same origin as the request's Host, or listed in CORS_ORIGINS. */
export function isAllowedOrigin(origin: string, headers: IncomingHttpHeaders, policy: OriginPolicy): boolean {
  if (policy.corsOrigins.includes("*") || policy.corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}
