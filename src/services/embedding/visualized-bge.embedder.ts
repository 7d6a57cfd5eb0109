// Visualized-BGE: image tokens and instruction tokens go through BGE's encoder together (composed.onnx);
// image-only is composed with an empty prompt ([CLS][SEP]); text-only is plain BGE (text.onnx).
import type { ModelManifest } from "../../model-tooling/manifest.js";
import type { ComposedEmbedding, EmbedderFamily, LoadedEmbedder, ModelInfo, ModelRuntime } from "./embedding-service.js";
import { standardContract } from "./graph-contract.js";
import { GraphRunner, graphOptions } from "./graph-runner.js";
import type { DecodedImage } from "../image-decode.js";
import type { PixelSpec } from "./model-input.js";
import { int64Tensor, maskTensor, pixelTensor } from "./onnx-session.js";
import type { TextTokenizer } from "./text-tokenizer.js";
import { assertText } from "./input-checks.js";

interface ComposedItem {
  pixels: Float32Array;
  ids: number[];
}

export class VisualizedBgeEmbedder implements LoadedEmbedder {
  readonly composed: GraphRunner<ComposedItem>;
  readonly text: GraphRunner<number[]>;
  /** FlagEmbedding's preprocess_val is torchvision's Resize + CenterCrop (offset rounded half to even). */
  private readonly pixelSpec: PixelSpec;

  constructor(
    readonly info: ModelInfo,
    private readonly manifest: ModelManifest,
    private readonly tokenizer: TextTokenizer,
    private readonly runtime: ModelRuntime,
  ) {
    this.pixelSpec = { ...manifest.image, cropRounding: "round-half-even" };
    const composedSpec = manifest.graphs.composed!;
    const textSpec = manifest.graphs.text;
    const size = manifest.image.size;
    const pad = manifest.text.padId;
    // Visualized-BGE's EVA-CLIP towers are /16 patch ViTs; model.json says so where it knows.
    const imageTokens = manifest.imageTokens ?? (size / 16) ** 2;
    this.composed = new GraphRunner(graphOptions(runtime, manifest, composedSpec, standardContract(manifest, composedSpec)), (items) => ({
      [composedSpec.inputs.pixelValues!]: pixelTensor(items.map((i) => i.pixels), size),
      [composedSpec.inputs.inputIds!]: int64Tensor(items.map((i) => i.ids), pad),
      [composedSpec.inputs.attentionMask!]: maskTensor(items.map((i) => i.ids)),
    }), (item) => imageTokens + item.ids.length);
    this.text = new GraphRunner(graphOptions(runtime, manifest, textSpec, standardContract(manifest, textSpec)), (items) => ({
      [textSpec.inputs.inputIds!]: int64Tensor(items, pad),
      [textSpec.inputs.attentionMask!]: maskTensor(items),
    }), (ids) => ids.length);
  }

  async warmUp(): Promise<void> {
    await Promise.all([this.composed.session(), this.text.session()]);
  }

  async embedImage(image: DecodedImage): Promise<Float32Array> {
    return (await this.embedComposed(image, "")).vector;
  }

  async embedText(text: string): Promise<Float32Array> {
    assertText(text);
    return this.text.embed(this.tokenizer.encode(text, this.manifest.text.maxTokens).ids);
  }

  /** `imageWeight` has no meaning here: the encoder mixes image and text itself. */
  async embedComposed(image: DecodedImage, instruction: string): Promise<ComposedEmbedding> {
    assertText(instruction);
    const { ids, truncated } = this.tokenizer.encode(instruction, this.manifest.text.maxComposedTokens);
    const pixels = await this.runtime.worker.modelInput(image, this.pixelSpec);
    const vector = await this.composed.embed({ pixels, ids });
    return { vector, truncated, textTokens: ids.length };
  }

  async close(): Promise<void> {
    await Promise.all([this.composed.close(), this.text.close()]);
    await this.runtime.worker.close();
  }
}

export const visualizedBgeFamily: EmbedderFamily = {
  name: "visualized-bge",
  graphs: ["composed", "text"],
  manifestProblems: (manifest) => (manifest.imageTokens ? [] : ["imageTokens is required (the image tokens composed.onnx adds, 196 for EVA02-B/16)"]),
  create: (info, manifest, tokenizer, runtime) => new VisualizedBgeEmbedder(info, manifest, tokenizer, runtime),
};
