// Digits and the word "query" drawn as SVG strokes, so panorama labels never depend on which fonts
// the machine has (librsvg draws nothing readable without them, and servers often have none).

/** Glyph outlines on a 6 × 13 grid: x-height from y=3, baseline at y=10, descenders to y=13. */
const GLYPHS: Record<string, string> = {
  "0": "M0 0H6V10H0Z",
  "1": "M1.5 2L4 0V10M1.5 10H6",
  "2": "M0 0H6V5H0V10H6",
  "3": "M0 0H6V10H0M0 5H6",
  "4": "M0 0V5H6M6 0V10",
  "5": "M6 0H0V5H6V10H0",
  "6": "M6 0H0V10H6V5H0",
  "7": "M0 0H6V10",
  "8": "M0 0H6V10H0ZM0 5H6",
  "9": "M6 5H0V0H6V10H0",
  q: "M6 3V13M6 3H0V10H6",
  u: "M0 3V10H6V3",
  e: "M6 10H0V3H6V6.5H0",
  r: "M0 10V3M0 5.5L2.5 3H6",
  y: "M0 3V7H6M6 3V13H0",
};

const ADVANCE = 9; // glyph width 6 + gap 3, in grid units
const CAP_HEIGHT = 10;

/** Width in pixels of `text` drawn at `height` pixels (digit height). */
export function textWidth(text: string, height: number): number {
  const unit = height / CAP_HEIGHT;
  return text.length === 0 ? 0 : (text.length * ADVANCE - 3) * unit;
}

/** An SVG path element drawing `text` with its top-left corner at (x, y), digits `height` pixels tall. */
export function strokeText(text: string, x: number, y: number, height: number, color: string): string {
  const unit = height / CAP_HEIGHT;
  const glyphs = [...text].map((ch, i) => {
    const outline = GLYPHS[ch];
    if (!outline) throw new Error(`stroke font has no glyph for "${ch}"`);
    return `<path transform="translate(${x + i * ADVANCE * unit} ${y}) scale(${unit})" d="${outline}"/>`;
  });
  const width = Math.max(1.5, unit * 1.6);
  return `<g fill="none" stroke="${color}" stroke-width="${width / unit}" stroke-linecap="square" stroke-linejoin="miter">${glyphs.join("")}</g>`;
}
