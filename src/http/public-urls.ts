// Every public URL the API hands out is built here, so how they look (and, later, how they are signed) has one home.
import { EXTENSIONS } from "../services/image-store.service.js";
import type { ImageFormat } from "../services/image-decode.js";

export function imageUrl(baseUrl: string, id: string, format: string): string {
  return `${baseUrl}/images/${id}.${EXTENSIONS[format as ImageFormat] ?? format}`;
}

export function thumbnailUrl(baseUrl: string, id: string): string {
  return `${baseUrl}/thumbnails/${id}.webp`;
}

export function panoramaUrl(baseUrl: string, id: string): string {
  return `${baseUrl}/panoramas/${id}`;
}
