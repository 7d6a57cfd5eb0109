// Image, thumbnail and panorama URLs carry an expiry and an HMAC of path + expiry, so an <img> works
// without headers while the bare routes stay closed. Expiries are rounded up to a whole TTL window, so the
// same image keeps the same URL for a while and browsers can cache it.
import { createHmac, timingSafeEqual } from "node:crypto";

export class UrlSigner {
  /** `secret`: URL_SIGNING_SECRET, or the one kept in Redis or DATA_DIR (signing-secret.ts). */
  constructor(
    private readonly secret: Buffer,
    private readonly ttlSeconds: number,
  ) {}

  /** "/images/abc.jpg" → "/images/abc.jpg?exp=…&sig=…", valid for between one and two TTLs. */
  sign(pathname: string, now = Date.now()): string {
    const window = this.ttlSeconds;
    const exp = (Math.floor(now / 1000 / window) + 2) * window;
    return `${pathname}?exp=${exp}&sig=${this.mac(pathname, exp)}`;
  }

  /** "missing" when the URL has no signature, "invalid" when it is wrong or expired. */
  verify(pathname: string, exp: unknown, sig: unknown, now = Date.now()): "ok" | "missing" | "invalid" {
    if (exp === undefined && sig === undefined) return "missing";
    const expiry = Number(exp);
    if (typeof sig !== "string" || !Number.isInteger(expiry) || expiry * 1000 < now) return "invalid";
    const expected = Buffer.from(this.mac(pathname, expiry));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected) ? "ok" : "invalid";
  }

  private mac(pathname: string, exp: number): string {
    return createHmac("sha256", this.secret).update(`${pathname}\n${exp}`).digest("base64url");
  }
}
