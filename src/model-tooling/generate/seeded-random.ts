// Deterministic weights: the same seed and shapes give byte-identical models on every machine.

/** mulberry32: tiny, fast, and good enough for weights that only need to be varied and reproducible. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform values with the given standard deviation, centred on `mean`. */
  fill(count: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(count);
    const half = std * Math.sqrt(3);
    for (let i = 0; i < count; i++) out[i] = mean + (this.next() * 2 - 1) * half;
    return out;
  }
}

/** FNV-1a, to turn a weight's name into its own seed. */
function hashName(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Weights drawn per name from (model seed, name): the same name gets the same values in any graph. */
export class WeightBank {
  private readonly cache = new Map<string, Float32Array>();

  constructor(readonly seed: number) {}

  get(name: string, count: number, std: number, mean = 0): Float32Array {
    const known = this.cache.get(name);
    if (known && known.length === count) return known;
    const values = new SeededRandom(hashName(this.seed, name)).fill(count, std, mean);
    this.cache.set(name, values);
    return values;
  }
}
