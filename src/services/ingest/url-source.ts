// Images fetched over http(s) for ingestUrls. Off unless INGEST_URL_ALLOWLIST names hosts. A private,
// loopback or link-local address is refused unless that exact host or address is listed, and the check
// runs on the address actually connected to, so a DNS answer that changes between check and fetch
// (rebinding) cannot slip through. Redirects are followed by hand and every hop is checked again.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { AppError, BadUserInputError, ForbiddenError, PayloadTooLargeError } from "../../errors.js";

export interface UrlPolicy {
  allowlist: string[];
  timeoutMs: number;
  maxBytes: number;
}

const MAX_REDIRECTS = 5;

/** Syntax and allowlist, checked when the request comes in, so a bad list fails before any job starts. */
export function checkUrl(raw: string, policy: UrlPolicy, field = "urls"): URL {
  if (policy.allowlist.length === 0) throw new ForbiddenError("ingestUrls is off: set INGEST_URL_ALLOWLIST to the hosts it may fetch from");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadUserInputError(`Not a URL: ${raw.slice(0, 200)}`, { field });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new BadUserInputError(`Only http and https URLs can be fetched: ${raw.slice(0, 200)}`, { field });
  if (url.username || url.password) throw new BadUserInputError("URLs with credentials are not fetched", { field });
  if (!hostAllowed(hostOf(url), policy.allowlist)) throw new ForbiddenError(`${hostOf(url)} is not in INGEST_URL_ALLOWLIST`);
  return url;
}

/** The image bytes at `url`, within the policy's time and size limits. */
export async function fetchImage(url: URL, policy: UrlPolicy, signal?: AbortSignal): Promise<Buffer> {
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (hop > 0) checkUrl(current.href, policy);
    const result = await fetchOnce(current, policy, combined).catch((err: Error) => {
      if (deadline.aborted) throw new BadUserInputError(`${url.href} did not answer within ${policy.timeoutMs} ms (INGEST_URL_TIMEOUT_MS)`);
      if (signal?.aborted) throw new BadUserInputError(`Cancelled while fetching ${url.href}`);
      throw err instanceof AppError ? err : new BadUserInputError(`Could not fetch ${current.href}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
    if ("bytes" in result) return result.bytes;
    current = new URL(result.location, current);
  }
  throw new BadUserInputError(`${url.href} redirected more than ${MAX_REDIRECTS} times`);
}

function fetchOnce(url: URL, policy: UrlPolicy, signal: AbortSignal): Promise<{ bytes: Buffer } | { location: string }> {
  const host = hostOf(url);
  const listed = policy.allowlist.includes(host);
  if (net.isIP(host) && !listed && isPrivateAddress(host)) return Promise.reject(privateAddress(host, host));
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { signal, lookup: guardedLookup(host, listed), headers: { accept: "image/*", "user-agent": "mmrag-ingest" } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        return resolve({ location: res.headers.location });
      }
      if (status !== 200) {
        res.resume();
        return reject(new BadUserInputError(`${url.href} answered HTTP ${status}`));
      }
      const declared = Number(res.headers["content-length"]);
      if (declared > policy.maxBytes) {
        res.destroy();
        return reject(tooLarge(url, policy));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > policy.maxBytes) {
          res.destroy();
          reject(tooLarge(url, policy));
        } else chunks.push(chunk);
      });
      res.on("end", () => resolve({ bytes: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** A dns.lookup for http.get that refuses private answers unless the host was listed by name. */
function guardedLookup(host: string, listed: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error) => void)(err);
      const blocked = listed ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (blocked) return (callback as (e: Error) => void)(privateAddress(host, blocked.address));
      if ((options as dns.LookupOptions).all) (callback as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

const PRIVATE = new net.BlockList();
for (const [prefix, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) PRIVATE.addSubnet(prefix, bits, "ipv4");
for (const [prefix, bits] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8]] as const) PRIVATE.addSubnet(prefix, bits, "ipv6");

export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return PRIVATE.check(address, "ipv4");
  const bytes = ipv6Bytes(address);
  if (!bytes) return true; // not an address we can judge: refuse rather than guess
  const embedded = embeddedIpv4(bytes);
  if (embedded) return PRIVATE.check(embedded, "ipv4");
  return PRIVATE.check(address, "ipv6");
}

/**
 * The IPv4 address inside an IPv6 transition form, which reaches that IPv4 host and so is judged by the IPv4
 * rules: mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96 and the
 * local-use 64:ff9b:1::/48, 6to4 2002::/16 and Teredo 2001::/32 (its client address, stored inverted).
 */
function embeddedIpv4(b: number[]): string | undefined {
  const v4 = (at: number, invert = 0) => b.slice(at, at + 4).map((x) => x ^ invert).join(".");
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && zero(10, 12)) return v4(12);
  if (zero(0, 12) && !zero(12, 14)) return v4(12); // ::a.b.c.d, leaving :: and ::1 to the IPv6 list
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && (zero(4, 12) || (b[4] === 0 && b[5] === 1))) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) return v4(12, 0xff);
  return undefined;
}

/** "64:ff9b::7f00:1" or "::ffff:127.0.0.1" → 16 bytes; undefined when it is not an IPv6 address. */
function ipv6Bytes(address: string): number[] | undefined {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!net.isIPv6(plain)) return undefined;
  let text = plain;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array(missing).fill("0"), ...groups(tail)];
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function hostAllowed(host: string, allowlist: string[]): boolean {
  return allowlist.some((entry) => entry === "*" || entry === host || (entry.startsWith("*.") && host.endsWith(entry.slice(1))));
}

/** The hostname without IPv6 brackets, lower-cased. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

function privateAddress(host: string, address: string): ForbiddenError {
  return new ForbiddenError(`${host} resolves to ${address}, a private or loopback address; list it in INGEST_URL_ALLOWLIST to allow it`);
}

function tooLarge(url: URL, policy: UrlPolicy): PayloadTooLargeError {
  return new PayloadTooLargeError(`${url.href} is larger than ${policy.maxBytes} bytes (INGEST_URL_MAX_BYTES)`);
}
