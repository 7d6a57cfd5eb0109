import { BadUserInputError } from "../../errors.js";

export function assertText(text: unknown): asserts text is string {
  if (typeof text !== "string") throw new BadUserInputError("The text must be a string");
}

export function assertImageWeight(w: number): void {
  if (!Number.isFinite(w) || w < 0 || w > 1) throw new BadUserInputError(`imageWeight must be between 0 and 1, got ${w}`, { imageWeight: w });
}
