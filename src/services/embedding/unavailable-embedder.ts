// Stands in for the model of a catalogue this server cannot embed for (its collection was built with a
// model of another dimension that is not here): listing, editing and deleting still work; anything that
// needs a vector fails with NOT_SUPPORTED and says how to fix it.
import { NotSupportedError } from "../../errors.js";
import type { EmbeddingService, ModelInfo } from "./index.js";

export function unavailableEmbedder(info: ModelInfo, reason: string): EmbeddingService {
  const refuse = async (): Promise<never> => {
    throw new NotSupportedError(reason);
  };
  return { info, embedImage: refuse, embedText: refuse, embedComposed: refuse, close: async () => undefined };
}
