// What a graph must look like for its family and manifest, checked against the ONNX file when it is
// opened: a folder whose graphs disagree with model.json refuses to start with a message naming the
// mismatch, instead of failing every request later.
import type { GraphSpec, ModelManifest } from "../../model-tooling/manifest.js";

/** A named symbolic dimension (any size at run time) or a fixed size. */
export type Dim = "batch" | "sequence" | number;

export interface TensorContract {
  name: string;
  type: "float32" | "int64";
  shape: Dim[];
  /** Fed when the graph declares it, otherwise left out (CLIP text exports with or without attention_mask). */
  optional?: boolean;
}

export interface GraphContract {
  inputs: TensorContract[];
  output: TensorContract;
}

/** As onnxruntime reports a graph input or output; symbolic dimensions are strings (or -1/undefined). */
export interface TensorMetadata {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: readonly (number | string | undefined | null)[];
}

/** The usual contract: pixels [B,3,S,S], ids and mask [B,T] (whichever the graph spec names), output [B,dim]. */
export function standardContract(manifest: ModelManifest, spec: GraphSpec, options: { optionalMask?: boolean } = {}): GraphContract {
  const size = manifest.image.size;
  const inputs: TensorContract[] = [];
  if (spec.inputs.pixelValues) inputs.push({ name: spec.inputs.pixelValues, type: "float32", shape: ["batch", 3, size, size] });
  if (spec.inputs.inputIds) inputs.push({ name: spec.inputs.inputIds, type: "int64", shape: ["batch", "sequence"] });
  if (spec.inputs.attentionMask) inputs.push({ name: spec.inputs.attentionMask, type: "int64", shape: ["batch", "sequence"], optional: options.optionalMask });
  return { inputs, output: { name: spec.output, type: "float32", shape: ["batch", manifest.dimension] } };
}

const show = (shape: readonly unknown[] | undefined) => (shape ? `[${shape.map((d) => (typeof d === "number" && d >= 0 ? d : (d ?? "?"))).join(", ")}]` : "(unknown)");
const symbolic = (d: unknown) => typeof d !== "number" || d < 0;

function tensorProblem(kind: "input" | "output", want: TensorContract, got: TensorMetadata): string | undefined {
  if (got.isTensor === false || (got.type && got.type !== want.type) || !got.shape || got.shape.length !== want.shape.length) {
    return `${kind} "${want.name}" is ${got.type ?? "?"} ${show(got.shape)}; model.json and the family need ${want.type} ${show(want.shape)}`;
  }
  const bad = want.shape.some((w, i) => {
    const g = got.shape![i];
    if (w === "batch") return !symbolic(g); // a fixed batch size cannot take dynamic batches
    if (w === "sequence") return false;
    return !symbolic(g) && g !== w;
  });
  return bad ? `${kind} "${want.name}" has shape ${show(got.shape)}; model.json and the family need ${show(want.shape)} (batch dynamic)` : undefined;
}

/** Every way the graph differs from its contract; empty when it matches. */
export function contractProblems(contract: GraphContract, inputs: readonly TensorMetadata[], outputs: readonly TensorMetadata[]): string[] {
  const problems: string[] = [];
  for (const want of contract.inputs) {
    const got = inputs.find((i) => i.name === want.name);
    if (!got) {
      if (!want.optional) problems.push(`no input "${want.name}" (the graph's inputs: ${inputs.map((i) => i.name).join(", ")})`);
      continue;
    }
    const p = tensorProblem("input", want, got);
    if (p) problems.push(p);
  }
  for (const got of inputs) {
    if (!contract.inputs.some((w) => w.name === got.name)) problems.push(`input "${got.name}" is not one model.json feeds (${contract.inputs.map((w) => w.name).join(", ")})`);
  }
  const out = outputs.find((o) => o.name === contract.output.name);
  if (!out) problems.push(`no output "${contract.output.name}" (the graph's outputs: ${outputs.map((o) => o.name).join(", ")})`);
  else {
    const p = tensorProblem("output", contract.output, out);
    if (p) problems.push(p);
  }
  return problems;
}
