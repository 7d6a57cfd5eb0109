// CLIP: separate image and text towers; a composed query is normalise(w·image + (1−w)·text).
import type { ModelManifest } from "../../model-tooling/manifest.js";
import type { ComposedEmbedding, EmbedderFamily, LoadedEmbedder, ModelInfo, ModelRuntime } from "./embedding-service.js";
import { standardContract } from "./graph-contract.js";
import { GraphRunner, graphOptions } from "./graph-runner.js";
import type { DecodedImage } from "../image-decode.js";
import type { PixelSpec } from "./model-input.js";
import { assertText } from "./input-checks.js";
import { int64Tensor, maskTensor, pixelTensor } from "./onnx-session.js";
import type { TextTokenizer } from "./text-tokenizer.js";
import { l2Normalise, weightedSum } from "./vector-math.js";

export const DEFAULT_IMAGE_WEIGHT = 0.5;

export class ClipEmbedder implements LoadedEmbedder {
  readonly vision: GraphRunner<Float32Array>;
  readonly text: GraphRunner<number[]>;
  /** Hugging Face's CLIPImageProcessor floors the centre-crop offset. */
  private readonly pixelSpec: PixelSpec;

  constructor(
    readonly info: ModelInfo,
    private readonly manifest: ModelManifest,
    private readonly tokenizer: TextTokenizer,
    private readonly runtime: ModelRuntime,
  ) {
    this.pixelSpec = { ...manifest.image, cropRounding: "floor" };
    const visionSpec = manifest.graphs.vision!;
    const textSpec = manifest.graphs.text;
    this.vision = new GraphRunner(graphOptions(runtime, manifest, visionSpec, standardContract(manifest, visionSpec)), (items) => ({
      [visionSpec.inputs.pixelValues!]: pixelTensor(items, manifest.image.size),
    }));
    // Padding goes after the end token; CLIP's causal mask keeps it from touching the pooled token.
    // Exports that take an attention_mask get one.
    // The text tower runs briefly between vision batches; if its idle threads spun, they would take the
    // cores the vision tower needs. The vision tower keeps spinning: image-only batches gain from it.
    this.text = new GraphRunner(graphOptions(runtime, manifest, textSpec, standardContract(manifest, textSpec, { optionalMask: true }), false), (items, inputNames) => {
      const mask = textSpec.inputs.attentionMask ?? "attention_mask";
      return {
        [textSpec.inputs.inputIds!]: int64Tensor(items, manifest.text.padId),
        ...(inputNames.includes(mask) ? { [mask]: maskTensor(items) } : {}),
      };
    }, (ids) => ids.length);
  }

  async warmUp(): Promise<void> {
    await Promise.all([this.vision.session(), this.text.session()]);
  }

  async embedImage(image: DecodedImage): Promise<Float32Array> {
    return this.vision.embed(await this.runtime.worker.modelInput(image, this.pixelSpec));
  }

  async embedText(text: string): Promise<Float32Array> {
    assertText(text);
    return this.text.embed(this.tokenizer.encode(text, this.manifest.text.maxTokens).ids);
  }

  async embedComposed(image: DecodedImage, instruction: string, options: { imageWeight?: number } = {}): Promise<ComposedEmbedding> {
    assertText(instruction);
    // The search service checks the range (0 to 1) before it gets here.
    const w = options.imageWeight ?? DEFAULT_IMAGE_WEIGHT;
    const { ids, truncated } = this.tokenizer.encode(instruction, this.manifest.text.maxComposedTokens);
    const [imageVector, textVector] = await Promise.all([this.embedImage(image), this.text.embed(ids)]);
    return { vector: l2Normalise(weightedSum(imageVector, w, textVector, 1 - w)), truncated, textTokens: ids.length };
  }

  async close(): Promise<void> {
    await Promise.all([this.vision.close(), this.text.close()]);
    await this.runtime.worker.close();
  }
}

export const clipFamily: EmbedderFamily = {
  name: "clip",
  graphs: ["vision", "text"],
  create: (info, manifest, tokenizer, runtime) => new ClipEmbedder(info, manifest, tokenizer, runtime),
};
