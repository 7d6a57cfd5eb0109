// Where everything goes on a panorama: the query in a left column, candidates in a near-square grid.

export const TILE = 300;
/** Room under the query tile for its "query" label. */
const LABEL_ROOM = 60;

export interface PanoramaLayout {
  tile: number;
  columns: number;
  rows: number;
  width: number;
  height: number;
  /** Top-left corner of candidate i's tile. */
  cell(i: number): { left: number; top: number };
}

export function layoutFor(candidates: number): PanoramaLayout {
  if (!Number.isInteger(candidates) || candidates < 1) throw new RangeError("a panorama needs at least one candidate");
  // 9 candidates → 3 × 3, as the seed draws them; other counts keep the grid close to square.
  const columns = Math.ceil(Math.sqrt(candidates));
  const rows = Math.ceil(candidates / columns);
  return {
    tile: TILE,
    columns,
    rows,
    width: TILE * (columns + 1),
    height: Math.max(TILE * rows, TILE + LABEL_ROOM),
    cell: (i) => ({ left: TILE * (1 + (i % columns)), top: TILE * Math.floor(i / columns) }),
  };
}
