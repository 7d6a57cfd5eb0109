import { BadUserInputError } from "../../errors.js";

export function assertText(text: unknown): asserts text is string {
  if (typeof text !== "string") throw new BadUserInputError("The text must be a string");
}

