// Hugging Face tokenizer.json → ids with the model's special tokens, truncated to a cap that keeps the end token.
import fs from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";

export interface TokenizedText {
  ids: number[];
  /** true when the text was cut to fit the cap. */
  truncated: boolean;
}

export class TextTokenizer {
  private constructor(private readonly tokenizer: Tokenizer) {}

  static async fromFile(file: string): Promise<TextTokenizer> {
    const json = JSON.parse(await fs.readFile(file, "utf8"));
    // tokenizer.json's own truncation/padding settings are ignored: we cap and pad per request.
    return new TextTokenizer(new Tokenizer(json, {}));
  }

  /** [start] tokens… [end], at most `maxTokens` ids; when cut, the end token is kept. */
  encode(text: string, maxTokens: number): TokenizedText {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= maxTokens) return { ids, truncated: false };
    return { ids: [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]], truncated: true };
  }

  tokens(text: string): string[] {
    return this.tokenizer.tokenize(text, { add_special_tokens: true });
  }
}
