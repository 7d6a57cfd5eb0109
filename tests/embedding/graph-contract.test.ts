// The graph/manifest check on the metadata onnxruntime reports (what model-loading.test.ts sees through real files).
import { describe, expect, it } from "vitest";
import { contractProblems, type GraphContract } from "../../src/services/embedding/graph-contract.js";

const VISION: GraphContract = {
  inputs: [{ name: "pixel_values", type: "float32", shape: ["batch", 3, 224, 224] }],
  output: { name: "image_embeds", type: "float32", shape: ["batch", 512] },
};

describe("graph contract", () => {
  it("accepts symbolic batch and sequence dimensions", () => {
    expect(contractProblems(VISION, [{ name: "pixel_values", type: "float32", shape: ["batch_size", 3, 224, 224] }], [{ name: "image_embeds", type: "float32", shape: ["batch_size", 512] }])).toEqual([]);
  });

  it("names an export that returns hidden states where embeddings are declared", () => {
    const problems = contractProblems(VISION, [{ name: "pixel_values", type: "float32", shape: ["batch", 3, 224, 224] }], [{ name: "image_embeds", type: "float32", shape: ["batch", 50, 768] }]);
    expect(problems).toEqual(['output "image_embeds" is float32 [batch, 50, 768]; model.json and the family need float32 [batch, 512]']);
  });

  it("names a wrong dtype, a fixed batch size and an image size the manifest does not use", () => {
    expect(contractProblems(VISION, [{ name: "pixel_values", type: "float16", shape: ["batch", 3, 224, 224] }], [{ name: "image_embeds", type: "float32", shape: [1, 512] }])).toEqual([
      'input "pixel_values" is float16 [batch, 3, 224, 224]; model.json and the family need float32 [batch, 3, 224, 224]',
      'output "image_embeds" has shape [1, 512]; model.json and the family need [batch, 512] (batch dynamic)',
    ]);
    expect(contractProblems(VISION, [{ name: "pixel_values", type: "float32", shape: ["batch", 3, 336, 336] }], [{ name: "image_embeds", type: "float32", shape: ["batch", 512] }])).toHaveLength(1);
  });

  it("feeds an optional input only when the graph has it, and refuses inputs nobody feeds", () => {
    const text: GraphContract = {
      inputs: [
        { name: "input_ids", type: "int64", shape: ["batch", "sequence"] },
        { name: "attention_mask", type: "int64", shape: ["batch", "sequence"], optional: true },
      ],
      output: { name: "text_embeds", type: "float32", shape: ["batch", 512] },
    };
    const out = [{ name: "text_embeds", type: "float32", shape: ["batch", 512] }];
    expect(contractProblems(text, [{ name: "input_ids", type: "int64", shape: ["batch", "sequence"] }], out)).toEqual([]);
    expect(contractProblems(text, [{ name: "input_ids", type: "int64", shape: ["batch", "sequence"] }, { name: "token_type_ids", type: "int64", shape: ["batch", "sequence"] }], out)).toEqual([
      'input "token_type_ids" is not one model.json feeds (input_ids, attention_mask)',
    ]);
  });
});
