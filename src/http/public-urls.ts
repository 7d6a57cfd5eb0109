// The one builder of absolute URLs a client gets: images, thumbnails and panoramas, signed when the
// server needs keys (see services/auth/signed-urls.ts).
import type { UrlSigner } from "../services/auth/signed-urls.js";

export interface PublicUrls {
  readonly baseUrl: string;
  image(id: string, ext: string): string;
  thumbnail(id: string): string;
  panorama(id: string): string;
}

export function publicUrls(baseUrl: string, signer: UrlSigner | undefined): PublicUrls {
  const url = (pathname: string) => `${baseUrl}${signer ? signer.sign(pathname) : pathname}`;
  return {
    baseUrl,
    image: (id, ext) => url(`/images/${id}.${ext}`),
    thumbnail: (id) => url(`/thumbnails/${id}.webp`),
    panorama: (id) => url(`/panoramas/${id}`),
  };
}
