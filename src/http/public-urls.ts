// Every public URL the API hands out is built here: images, thumbnails, previews and panoramas, signed when the
// server needs keys (see services/auth/signed-urls.ts).
import type { UrlSigner } from "../services/auth/signed-urls.js";
import type { ImageFormat } from "../services/image-decode.js";
import { EXTENSIONS } from "../services/image-store.service.js";

export interface PublicUrls {
  readonly baseUrl: string;
  image(id: string, format: string): string;
  thumbnail(id: string): string;
  preview(id: string): string;
  panorama(id: string): string;
}

export function publicUrls(baseUrl: string, signer: UrlSigner | undefined): PublicUrls {
  const url = (pathname: string) => `${baseUrl}${signer ? signer.sign(pathname) : pathname}`;
  return {
    baseUrl,
    image: (id, format) => url(`/images/${id}.${EXTENSIONS[format as ImageFormat] ?? format}`),
    thumbnail: (id) => url(`/thumbnails/${id}.webp`),
    preview: (id) => url(`/previews/${id}.webp`),
    panorama: (id) => url(`/panoramas/${id}`),
  };
}
