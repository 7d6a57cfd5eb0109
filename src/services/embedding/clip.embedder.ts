// CLIP: separate image and text towers; a composed query is normalise(w·image + (1−w)·text).
import type { ModelManifest } from "../../model-tooling/manifest.js";
import type { ComposedEmbedding, EmbeddingService, ModelInfo } from "./index.js";
import { GraphRunner, graphOptions } from "./graph-runner.js";
import type { DecodedImage } from "../image-decode.js";
import { preprocessImage } from "./image-preprocess.js";
import { assertImageWeight, assertText } from "./input-checks.js";
import type { ModelRuntime } from "./model-folder.js";
import { int64Tensor, maskTensor, pixelTensor } from "./onnx-session.js";
import type { TextTokenizer } from "./text-tokenizer.js";
import { l2Normalise, weightedSum } from "./vector-math.js";

export const DEFAULT_IMAGE_WEIGHT = 0.5;

export class ClipEmbedder implements EmbeddingService {
  readonly vision: GraphRunner<Float32Array>;
  readonly text: GraphRunner<number[]>;

  constructor(
    readonly info: ModelInfo,
    private readonly manifest: ModelManifest,
    private readonly tokenizer: TextTokenizer,
    private readonly runtime: ModelRuntime,
  ) {
    const visionSpec = manifest.graphs.vision!;
    const textSpec = manifest.graphs.text;
    this.vision = new GraphRunner(graphOptions(runtime, manifest, visionSpec), (items) => ({
      [visionSpec.inputs.pixelValues!]: pixelTensor(items, manifest.image.size),
    }));
    // Padding goes after the end token; CLIP's causal mask keeps it from touching the pooled token.
    // Exports that take an attention_mask get one.
    // The text tower runs briefly between vision batches; if its idle threads spun, they would take the
    // cores the vision tower needs. The vision tower keeps spinning: image-only batches gain from it.
    this.text = new GraphRunner(graphOptions(runtime, manifest, textSpec, false), (items, inputNames) => {
      const mask = textSpec.inputs.attentionMask ?? "attention_mask";
      return {
        [textSpec.inputs.inputIds!]: int64Tensor(items, manifest.text.padId),
        ...(inputNames.includes(mask) ? { [mask]: maskTensor(items) } : {}),
      };
    });
  }

  async warmUp(): Promise<void> {
    await Promise.all([this.vision.session(), this.text.session()]);
  }

  async embedImage(image: DecodedImage): Promise<Float32Array> {
    return this.vision.embed(await preprocessImage(image, this.manifest.image));
  }

  async embedText(text: string): Promise<Float32Array> {
    assertText(text);
    return this.text.embed(this.tokenizer.encode(text, this.manifest.text.maxTokens).ids);
  }

  async embedComposed(image: DecodedImage, instruction: string, options: { imageWeight?: number } = {}): Promise<ComposedEmbedding> {
    assertText(instruction);
    const w = options.imageWeight ?? DEFAULT_IMAGE_WEIGHT;
    assertImageWeight(w);
    const { ids, truncated } = this.tokenizer.encode(instruction, this.manifest.text.maxComposedTokens);
    const [imageVector, textVector] = await Promise.all([this.embedImage(image), this.text.embed(ids)]);
    return { vector: l2Normalise(weightedSum(imageVector, w, textVector, 1 - w)), truncated, textTokens: ids.length };
  }

  async close(): Promise<void> {
    await Promise.all([this.vision.close(), this.text.close()]);
    await this.runtime.worker.close();
  }
}
