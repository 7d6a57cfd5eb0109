// The Visualized-BGE contract as two ONNX graphs (see models/README.md):
//   composed.onnx: pixel_values [B,3,224,224] f32, input_ids [B,T] i64, attention_mask [B,T] i64 → embeddings [B,H]
//   text.onnx:     input_ids [B,T] i64, attention_mask [B,T] i64 → embeddings [B,H]
// Layout follows FlagEmbedding's Visualized_BGE.encode_mm / encode_text; weights are seeded random.
import { GraphBuilder } from "./onnx-graph.js";
import type { WeightBank } from "./seeded-random.js";
import { bertEncoder, layerNorm, linear, param, preNormEncoder, visionTokens, type Ctx, type EncoderShape, type VisionShape } from "./transformer.js";

export interface VbgeShape {
  vision: VisionShape;
  bert: EncoderShape & { vocab: number; maxPositions: number };
}

export function imageTokenCount(shape: VbgeShape): number {
  return (shape.vision.imageSize / shape.vision.patch) ** 2;
}

/** BERT's embedding tables; names are shared so both graphs get the same values. */
function bertTables(ctx: Ctx, shape: VbgeShape) {
  const { hidden, vocab, maxPositions } = shape.bert;
  return {
    words: param(ctx, "bert.embeddings.word_embeddings", [vocab, hidden], 0.5),
    positions: param(ctx, "bert.embeddings.position_embeddings", [maxPositions, hidden], 0.5),
    tokenType0: param(ctx, "bert.embeddings.token_type_embeddings.0", [hidden], 0.5),
  };
}

function embeddingNorm(ctx: Ctx, x: string, shape: VbgeShape): string {
  return layerNorm(ctx, "bert.embeddings.LayerNorm", x, shape.bert.hidden, shape.bert.eps);
}

/** [B,S] 0/1 mask (int64 or float) → additive [B,1,1,S] mask. */
function additiveMask(g: GraphBuilder, mask01: string): string {
  const inverted = g.op("Sub", [g.float([1], []), mask01]);
  return g.op("Reshape", [g.op("Mul", [inverted, g.float([-1e9], [])]), g.int64([0, 1, 1, -1])]);
}

/** Sequence length T of [B,T] ids as an int64 scalar. */
function seqLen(g: GraphBuilder, ids: string): string {
  return g.op("Squeeze", [g.sliceAxis(g.op("Shape", [ids]), 0, 1, 2), g.int64([0])]);
}

function pooledCls(g: GraphBuilder, hidden: string): string {
  return g.op("Gather", [hidden, g.int64([0], [])], { axis: 1 });
}

export function buildComposedGraph(shape: VbgeShape, bank: WeightBank): Uint8Array {
  const g = new GraphBuilder("visualized_bge_composed");
  const ctx: Ctx = { g, bank };
  const H = shape.bert.hidden;
  const imgTokens = imageTokenCount(shape);
  const { imageSize } = shape.vision;
  const pixels = g.input("pixel_values", "float32", ["batch", 3, imageSize, imageSize]);
  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const mask = g.input("attention_mask", "int64", ["batch", "sequence"]);
  const t = bertTables(ctx, shape);

  // Vision tower → drop its CLS → visual_proj → + BGE positions 1..N → BGE embedding LayerNorm.
  let vision = visionTokens(ctx, "visual", pixels, shape.vision);
  vision = preNormEncoder(ctx, "visual.blocks", vision, shape.vision);
  vision = layerNorm(ctx, "visual.norm", vision, shape.vision.hidden, shape.vision.eps);
  const patches = g.sliceAxis(vision, 1, 1);
  const projected = linear(ctx, "visual_proj", patches, shape.vision.hidden, H);
  const imagePositions = g.op("Gather", [t.positions, g.int64(Array.from({ length: imgTokens }, (_, i) => i + 1))]);
  const imageEmb = embeddingNorm(ctx, g.op("Add", [projected, imagePositions]), shape);

  // Text: [CLS] keeps position 0; the tokens after it take positions N+1, N+2, ... ; token type 0.
  const clsIds = g.sliceAxis(ids, 1, 0, 1);
  const clsPos = g.op("Gather", [t.positions, g.int64([0])]);
  const clsEmb = embeddingNorm(ctx, g.op("Add", [g.op("Add", [g.op("Gather", [t.words, clsIds]), clsPos]), t.tokenType0]), shape);
  const restIds = g.sliceAxis(ids, 1, 1);
  const restPosIds = g.op("Add", [g.op("Range", [g.int64([1], []), seqLen(g, ids), g.int64([1], [])]), g.int64([imgTokens], [])]);
  const restPos = g.op("Gather", [t.positions, restPosIds]);
  const restEmb = embeddingNorm(ctx, g.op("Add", [g.op("Add", [g.op("Gather", [t.words, restIds]), restPos]), t.tokenType0]), shape);

  const sequence = g.op("Concat", [clsEmb, imageEmb, restEmb], { axis: 1 });
  // Mask = [ones for N image slots] ++ text mask: the [CLS] slot is covered by the first "image" one,
  // exactly as encode_mm builds it, so every text token keeps its own mask bit.
  const ones = g.op("Expand", [g.float(new Array(imgTokens).fill(1), [1, imgTokens]), g.batchShape(pixels, [imgTokens])]);
  const fullMask = g.op("Concat", [ones, g.op("Cast", [mask], { to: 1 })], { axis: 1 });
  const hidden = bertEncoder(ctx, "bert.encoder", sequence, shape.bert, additiveMask(g, fullMask));
  g.output(pooledCls(g, hidden), "embeddings", "float32", ["batch", H]);
  return g.toBytes();
}

export function buildTextGraph(shape: VbgeShape, bank: WeightBank): Uint8Array {
  const g = new GraphBuilder("visualized_bge_text");
  const ctx: Ctx = { g, bank };
  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const mask = g.input("attention_mask", "int64", ["batch", "sequence"]);
  const t = bertTables(ctx, shape);
  const positions = g.op("Gather", [t.positions, g.op("Range", [g.int64([0], []), seqLen(g, ids), g.int64([1], [])])]);
  const emb = embeddingNorm(ctx, g.op("Add", [g.op("Add", [g.op("Gather", [t.words, ids]), positions]), t.tokenType0]), shape);
  const hidden = bertEncoder(ctx, "bert.encoder", emb, shape.bert, additiveMask(g, g.op("Cast", [mask], { to: 1 })));
  g.output(pooledCls(g, hidden), "embeddings", "float32", ["batch", shape.bert.hidden]);
  return g.toBytes();
}
