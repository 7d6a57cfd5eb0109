// Draws the panorama the vision LLM reranks from, as the seed does: the query on the left with a blue
// border and a "query" label, then each candidate in a 300×300 tile with a black edge and its red index
// number on white in the top-left corner. Pictures are fitted (not stretched) so shapes stay true.
import sharp, { type OutputInfo, type OverlayOptions } from "sharp";
import { fromPixels, type DecodedImage } from "../image-decode.js";
import { layoutFor, type PanoramaLayout } from "./layout.js";
import { strokeText, textWidth } from "./stroke-font.js";

const BLUE = "#0000ff";
const RED = "#ff0000";
const WHITE = { r: 255, g: 255, b: 255 };
const QUERY_BORDER = 10;
const TILE_EDGE = 2;
const INDEX_HEIGHT = 36;
const INDEX_PADDING = 8;

export interface DrawnPanorama {
  jpeg: Buffer;
  layout: PanoramaLayout;
  /** Candidates whose stored image could not be read or decoded; drawn as grey tiles. */
  unreadable: number[];
}

/** `undefined` stands for a candidate whose stored image could not be read. */
export async function drawPanorama(query: DecodedImage, candidates: (DecodedImage | undefined)[]): Promise<DrawnPanorama> {
  const layout = layoutFor(candidates.length);
  const { tile } = layout;
  const unreadable: number[] = [];

  const queryTile = await fitted(query, tile - 2 * QUERY_BORDER).then((inner) =>
    sharp(inner.data, { raw: inner.info }).extend({ top: QUERY_BORDER, bottom: QUERY_BORDER, left: QUERY_BORDER, right: QUERY_BORDER, background: BLUE }).raw().toBuffer({ resolveWithObject: true }),
  );
  const candidateTiles = await Promise.all(
    candidates.map(async (image, i) => {
      if (!image) unreadable.push(i);
      const inner = image ? await fitted(image, tile - 2 * TILE_EDGE) : await greyTile(tile - 2 * TILE_EDGE);
      return sharp(inner.data, { raw: inner.info }).extend({ top: TILE_EDGE, bottom: TILE_EDGE, left: TILE_EDGE, right: TILE_EDGE, background: "#000000" }).raw().toBuffer({ resolveWithObject: true });
    }),
  );

  const layers: OverlayOptions[] = [
    { input: queryTile.data, raw: queryTile.info, left: 0, top: 0 },
    ...candidateTiles.map((t, i) => ({ input: t.data, raw: t.info, ...layout.cell(i) })),
    { input: Buffer.from(labelsSvg(layout, candidates.length)), left: 0, top: 0 },
  ];
  const jpeg = await sharp({ create: { width: layout.width, height: layout.height, channels: 3, background: WHITE } })
    .composite(layers)
    .jpeg({ quality: 88 })
    .toBuffer();
  return { jpeg, layout, unreadable: unreadable.sort((a, b) => a - b) };
}

/** The decoded image, alpha on white, fitted into a size × size square. */
async function fitted(image: DecodedImage, size: number): Promise<{ data: Buffer; info: OutputInfo }> {
  return fromPixels(image)
    .flatten({ background: WHITE })
    .resize(size, size, { fit: "contain", background: WHITE })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
}

async function greyTile(size: number): Promise<{ data: Buffer; info: OutputInfo }> {
  return sharp({ create: { width: size, height: size, channels: 3, background: "#c8c8c8" } }).raw().toBuffer({ resolveWithObject: true });
}

function labelsSvg(layout: PanoramaLayout, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const { left, top } = layout.cell(i);
    // Numbered from 1, as the grid the user sees: the LLM's explanation then speaks of the same numbers.
    const label = String(i + 1);
    const x = left + TILE_EDGE + 4;
    const y = top + TILE_EDGE + 4;
    const boxWidth = textWidth(label, INDEX_HEIGHT) + 2 * INDEX_PADDING;
    parts.push(`<rect x="${x}" y="${y}" width="${boxWidth}" height="${INDEX_HEIGHT + 2 * INDEX_PADDING}" fill="#ffffff"/>`);
    parts.push(strokeText(label, x + INDEX_PADDING, y + INDEX_PADDING, INDEX_HEIGHT, RED));
  }
  parts.push(strokeText("query", 14, layout.tile + 12, 24, BLUE));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}">${parts.join("")}</svg>`;
}
