// Moving a query away from what the user does not want (Weaviate's moveAwayFrom, Marqo's negative weights).
import { BadUserInputError } from "../errors.js";

export const DEFAULT_EXCLUDE_WEIGHT = 0.5;
export const MAX_EXCLUDE_TERMS = 10;

/**
 * q' = normalise(q − λ · mean(t₁ … tₙ)), with q the normalised query vector, tᵢ the normalised text
 * embeddings of the excluded terms and λ = weight (0..1). Every image's cosine score becomes
 * (cos(q, v) − λ · mean cos(tᵢ, v)) / |q − λ · mean tᵢ|: images close to an excluded term drop.
 * For CLIP this is a weighted sum of normalised embeddings; for Visualized-BGE the composed vector
 * minus the weighted text embedding, renormalised.
 */
export function moveAwayFrom(query: Float32Array, away: Float32Array[], weight: number): Float32Array {
  const out = Float32Array.from(query);
  for (const t of away) for (let i = 0; i < out.length; i++) out[i] -= (weight / away.length) * t[i];
  let sum = 0;
  for (const x of out) sum += x * x;
  const norm = Math.sqrt(sum);
  if (!(norm > 1e-6)) throw new BadUserInputError("The excluded terms cancel the whole query; lower excludeWeight", { field: "excludeWeight" });
  for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}
