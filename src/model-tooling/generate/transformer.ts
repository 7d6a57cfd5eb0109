// Transformer pieces (linear, layer norm, attention, BERT and ViT blocks) written into a GraphBuilder
// with seeded random weights. Shapes follow the published models; the weights mean nothing.
import type { GraphBuilder } from "./onnx-graph.js";
import type { WeightBank } from "./seeded-random.js";

export interface Ctx {
  g: GraphBuilder;
  bank: WeightBank;
}

/** A named weight; the same name gives the same values in every graph of one model (composed and text share BERT). */
export function param(ctx: Ctx, name: string, dims: number[], std: number, mean = 0): string {
  return ctx.g.weight(name, ctx.bank.get(name, dims.reduce((a, b) => a * b, 1), std, mean), dims);
}

export interface EncoderShape {
  hidden: number;
  layers: number;
  heads: number;
  mlp: number;
  eps: number;
}

export function linear(ctx: Ctx, name: string, x: string, inDim: number, outDim: number, bias = true): string {
  const w = param(ctx, `${name}.weight`, [inDim, outDim], 1 / Math.sqrt(inDim));
  const y = ctx.g.op("MatMul", [x, w]);
  if (!bias) return y;
  return ctx.g.op("Add", [y, param(ctx, `${name}.bias`, [outDim], 0.02)]);
}

export function layerNorm(ctx: Ctx, name: string, x: string, dim: number, eps: number): string {
  const gamma = param(ctx, `${name}.weight`, [dim], 0.05, 1);
  const beta = param(ctx, `${name}.bias`, [dim], 0.05);
  return ctx.g.op("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: { float: eps } });
}

/** Exact (erf) GELU, as BERT and ViT use; onnxruntime fuses the pattern. */
export function gelu(ctx: Ctx, x: string): string {
  const { g } = ctx;
  const erf = g.op("Erf", [g.op("Mul", [x, g.float([Math.SQRT1_2], [])])]);
  return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, g.float([1], [])])]), g.float([0.5], [])]);
}

/** Multi-head self-attention over [B, S, hidden]; `additiveMask` broadcasts to [B, heads, S, S]. */
export function selfAttention(ctx: Ctx, name: string, x: string, s: EncoderShape, additiveMask?: string): string {
  const { g } = ctx;
  const headDim = s.hidden / s.heads;
  const split = (t: string, perm: number[]) => g.op("Transpose", [g.op("Reshape", [t, g.int64([0, 0, s.heads, headDim])])], { perm });
  const q = split(linear(ctx, `${name}.query`, x, s.hidden, s.hidden), [0, 2, 1, 3]);
  const k = split(linear(ctx, `${name}.key`, x, s.hidden, s.hidden), [0, 2, 3, 1]);
  const v = split(linear(ctx, `${name}.value`, x, s.hidden, s.hidden), [0, 2, 1, 3]);
  let scores = g.op("Mul", [g.op("MatMul", [q, k]), g.float([1 / Math.sqrt(headDim)], [])]);
  if (additiveMask) scores = g.op("Add", [scores, additiveMask]);
  const context = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), v]);
  const merged = g.op("Reshape", [g.op("Transpose", [context], { perm: [0, 2, 1, 3] }), g.int64([0, 0, s.hidden])]);
  return linear(ctx, `${name}.output`, merged, s.hidden, s.hidden);
}

function mlp(ctx: Ctx, name: string, x: string, s: EncoderShape): string {
  return linear(ctx, `${name}.fc2`, gelu(ctx, linear(ctx, `${name}.fc1`, x, s.hidden, s.mlp)), s.mlp, s.hidden);
}

/** BERT: post-norm blocks. */
export function bertEncoder(ctx: Ctx, name: string, x: string, s: EncoderShape, additiveMask: string): string {
  for (let i = 0; i < s.layers; i++) {
    const p = `${name}.layer.${i}`;
    x = layerNorm(ctx, `${p}.attention_norm`, ctx.g.op("Add", [x, selfAttention(ctx, `${p}.attention`, x, s, additiveMask)]), s.hidden, s.eps);
    x = layerNorm(ctx, `${p}.output_norm`, ctx.g.op("Add", [x, mlp(ctx, `${p}.mlp`, x, s)]), s.hidden, s.eps);
  }
  return x;
}

/** ViT / CLIP: pre-norm blocks. */
export function preNormEncoder(ctx: Ctx, name: string, x: string, s: EncoderShape, additiveMask?: string): string {
  for (let i = 0; i < s.layers; i++) {
    const p = `${name}.layer.${i}`;
    x = ctx.g.op("Add", [x, selfAttention(ctx, `${p}.attention`, layerNorm(ctx, `${p}.norm1`, x, s.hidden, s.eps), s, additiveMask)]);
    x = ctx.g.op("Add", [x, mlp(ctx, `${p}.mlp`, layerNorm(ctx, `${p}.norm2`, x, s.hidden, s.eps), s)]);
  }
  return x;
}

export interface VisionShape extends EncoderShape {
  imageSize: number;
  patch: number;
}

/** Patch embedding + class token + learned positions: [B,3,H,W] → [B, 1 + patches, hidden]. */
export function visionTokens(ctx: Ctx, name: string, pixels: string, s: VisionShape): string {
  const { g } = ctx;
  const grid = s.imageSize / s.patch;
  const tokens = grid * grid + 1;
  const kernel = param(ctx, `${name}.patch_embed.weight`, [s.hidden, 3, s.patch, s.patch], 1 / Math.sqrt(3 * s.patch * s.patch));
  const conv = g.op("Conv", [pixels, kernel, param(ctx, `${name}.patch_embed.bias`, [s.hidden], 0.02)], {
    kernel_shape: [s.patch, s.patch],
    strides: [s.patch, s.patch],
  });
  const patches = g.op("Transpose", [g.op("Reshape", [conv, g.int64([0, 0, -1])])], { perm: [0, 2, 1] });
  const cls = g.op("Expand", [param(ctx, `${name}.cls_token`, [1, 1, s.hidden], 0.5), g.batchShape(pixels, [1, s.hidden])]);
  const withCls = g.op("Concat", [cls, patches], { axis: 1 });
  return g.op("Add", [withCls, param(ctx, `${name}.pos_embed`, [1, tokens, s.hidden], 0.5)]);
}
