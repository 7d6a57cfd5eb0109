// Tokenisation against the real vocabularies: expected ids come from vocab.txt line numbers and
// tokenizer.json's vocab table, not from the tokenizer under test.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TextTokenizer } from "../../src/services/embedding/text-tokenizer.js";
import { SHARED_TOKENIZERS } from "../support/models.js";

const bertDir = path.join(SHARED_TOKENIZERS, "bert-base-uncased");
const vocabLines = fs.readFileSync(path.join(bertDir, "vocab.txt"), "utf8").split("\n");
const bertId = (token: string) => {
  const id = vocabLines.indexOf(token);
  if (id < 0) throw new Error(`${token} is not in vocab.txt`);
  return id;
};

describe("BERT uncased WordPiece (Visualized-BGE text side)", () => {
  let tokenizer: TextTokenizer;
  beforeAll(async () => {
    tokenizer = await TextTokenizer.fromFile(path.join(bertDir, "tokenizer.json"));
  });

  it("gives [CLS] words [SEP] with vocab.txt's ids", () => {
    expect(bertId("[CLS]")).toBe(101);
    expect(bertId("[SEP]")).toBe(102);
    const words = "a phone case with this image theme".split(" ");
    expect(tokenizer.encode("a phone case with this image theme", 512)).toEqual({
      ids: [101, ...words.map(bertId), 102],
      truncated: false,
    });
  });

  it("lowercases, splits punctuation and uses ## word pieces", () => {
    expect(tokenizer.encode("Phone CASE!", 512).ids).toEqual([101, bertId("phone"), bertId("case"), bertId("!"), 102]);
    const pieces = tokenizer.tokens("embeddings").slice(1, -1);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.slice(1).every((p) => p.startsWith("##"))).toBe(true);
    expect(pieces.map((p) => p.replace(/^##/, "")).join("")).toBe("embeddings");
    expect(tokenizer.encode("embeddings", 512).ids).toEqual([101, ...pieces.map(bertId), 102]);
  });

  it("an empty prompt is [CLS][SEP], as Visualized-BGE's image-only query", () => {
    expect(tokenizer.encode("", 512).ids).toEqual([101, 102]);
  });

  it("truncates to the cap and keeps [SEP] last", () => {
    const long = Array.from({ length: 400 }, () => "theme").join(" ");
    const { ids, truncated } = tokenizer.encode(long, 316);
    expect(truncated).toBe(true);
    expect(ids).toHaveLength(316);
    expect(ids[0]).toBe(101);
    expect(ids[315]).toBe(102);
    expect(ids.slice(1, 315).every((id) => id === bertId("theme"))).toBe(true);
    expect(tokenizer.encode(Array.from({ length: 314 }, () => "theme").join(" "), 316).truncated).toBe(false);
  });
});

describe("CLIP byte-level BPE", () => {
  it("gives <|startoftext|> words</w> <|endoftext|> with tokenizer.json's ids", async () => {
    const file = path.join(SHARED_TOKENIZERS, "clip", "tokenizer.json");
    const vocab = JSON.parse(fs.readFileSync(file, "utf8")).model.vocab as Record<string, number>;
    const tokenizer = await TextTokenizer.fromFile(file);
    const words = ["a", "photo", "of", "a", "cat"].map((w) => vocab[`${w}</w>`]);
    expect(tokenizer.encode("A photo of a cat", 77).ids).toEqual([vocab["<|startoftext|>"], ...words, vocab["<|endoftext|>"]]);
    expect(vocab["<|startoftext|>"]).toBe(49406);
    expect(vocab["<|endoftext|>"]).toBe(49407);
    const { ids, truncated } = tokenizer.encode(Array.from({ length: 100 }, () => "cat").join(" "), 77);
    expect(truncated).toBe(true);
    expect(ids).toHaveLength(77);
    expect(ids[76]).toBe(49407);
  });
});
