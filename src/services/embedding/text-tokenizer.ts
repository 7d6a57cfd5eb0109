// Hugging Face tokenizer.json → ids with the model's special tokens, truncated to a cap that keeps the end token.
import fs from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";

export interface TokenizedText {
  ids: number[];
  /** true when the text was cut to fit the cap. */
  truncated: boolean;
}

// What BERT's slow Python tokenizer (the one FlagEmbedding's Visualized_BGE asks for) does and the JS
// BertNormalizer does not: it drops every code point of category C* (the JS side keeps unassigned and
// private-use ones as [UNK]), and it splits CJK ideographs of the supplementary planes (Extensions B–F,
// compatibility supplement) into one word each (the JS side checks UTF-16 code units, so it misses them).
const UNASSIGNED_OR_PRIVATE = /[\p{Cn}\p{Co}\p{Cs}]/gu;
const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;

function asSlowBert(text: string): string {
  return text.replace(UNASSIGNED_OR_PRIVATE, "").replace(ASTRAL_CJK, " $& ");
}

export class TextTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly prepare: (text: string) => string,
  ) {}

  static async fromFile(file: string): Promise<TextTokenizer> {
    const json = JSON.parse(await fs.readFile(file, "utf8"));
    const bert = json.normalizer?.type === "BertNormalizer" && json.normalizer.clean_text !== false && json.normalizer.handle_chinese_chars !== false;
    // tokenizer.json's own truncation/padding settings are ignored: we cap and pad per request.
    return new TextTokenizer(new Tokenizer(json, {}), bert ? asSlowBert : (text) => text);
  }

  /** [start] tokens… [end], at most `maxTokens` ids; when cut, the end token is kept. */
  encode(text: string, maxTokens: number): TokenizedText {
    const ids = this.tokenizer.encode(this.prepare(text)).ids;
    if (ids.length <= maxTokens) return { ids, truncated: false };
    return { ids: [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]], truncated: true };
  }

  tokens(text: string): string[] {
    return this.tokenizer.tokenize(this.prepare(text), { add_special_tokens: true });
  }
}
