// The CLIP contract as published in Xenova/clip-vit-base-patch32's onnx/ folder:
//   vision_model.onnx: pixel_values [B,3,224,224] f32 → image_embeds [B,E]
//   text_model.onnx:   input_ids [B,T≤77] i64 → text_embeds [B,E]   (EOS-pooled, causal mask, no attention_mask input)
import { GraphBuilder } from "./onnx-graph.js";
import type { WeightBank } from "./seeded-random.js";
import { layerNorm, linear, param, preNormEncoder, visionTokens, type Ctx, type EncoderShape, type VisionShape } from "./transformer.js";

export interface ClipShape {
  vision: VisionShape;
  text: EncoderShape & { vocab: number; context: number };
  embedDim: number;
}

export function buildClipVisionGraph(shape: ClipShape, bank: WeightBank): Uint8Array {
  const g = new GraphBuilder("clip_vision");
  const ctx: Ctx = { g, bank };
  const { imageSize, hidden } = shape.vision;
  const pixels = g.input("pixel_values", "float32", ["batch", 3, imageSize, imageSize]);
  let x = visionTokens(ctx, "vision", pixels, shape.vision);
  x = layerNorm(ctx, "vision.pre_layrnorm", x, hidden, shape.vision.eps);
  x = preNormEncoder(ctx, "vision.encoder", x, shape.vision);
  const cls = layerNorm(ctx, "vision.post_layernorm", g.op("Gather", [x, g.int64([0], [])], { axis: 1 }), hidden, shape.vision.eps);
  g.output(linear(ctx, "visual_projection", cls, hidden, shape.embedDim, false), "image_embeds", "float32", ["batch", shape.embedDim]);
  return g.toBytes();
}

export function buildClipTextGraph(shape: ClipShape, bank: WeightBank): Uint8Array {
  const g = new GraphBuilder("clip_text");
  const ctx: Ctx = { g, bank };
  const { hidden, vocab, context } = shape.text;
  // Any length up to `context` (77): positions and the causal mask are sliced to T.
  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const T = g.sliceAxis(g.op("Shape", [ids]), 0, 1, 2);
  const words = g.op("Gather", [param(ctx, "text.token_embedding", [vocab, hidden], 0.5), ids]);
  const positions = g.op("Slice", [param(ctx, "text.position_embedding", [1, context, hidden], 0.5), g.int64([0]), T, g.int64([1])]);
  let x = g.op("Add", [words, positions]);
  const causal: number[] = [];
  for (let i = 0; i < context; i++) for (let j = 0; j < context; j++) causal.push(j > i ? -1e9 : 0);
  const causalT = g.op("Slice", [g.float(causal, [1, 1, context, context]), g.int64([0, 0]), g.op("Concat", [T, T], { axis: 0 }), g.int64([2, 3])]);
  x = preNormEncoder(ctx, "text.encoder", x, shape.text, causalT);
  x = layerNorm(ctx, "text.final_layer_norm", x, hidden, shape.text.eps);
  // Pool at the first end-of-text token: it has the largest id in CLIP's vocabulary.
  const eos = g.op("ArgMax", [ids], { axis: 1, keepdims: 1 }); // [B,1]
  const index = g.op("Expand", [g.op("Unsqueeze", [eos, g.int64([2])]), g.batchShape(ids, [1, hidden])]);
  const pooled = g.op("Squeeze", [g.op("GatherElements", [x, index], { axis: 1 }), g.int64([1])]);
  g.output(linear(ctx, "text_projection", pooled, hidden, shape.embedDim, false), "text_embeds", "float32", ["batch", shape.embedDim]);
  return g.toBytes();
}
