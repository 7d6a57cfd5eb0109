// Reranks search candidates with a vision LLM on any OpenAI-compatible endpoint, through the official
// openai SDK. It never throws: whatever goes wrong, the caller gets the vector order back with a reason.
import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { Config } from "../../config.js";
import type { Logger } from "../../logger.js";
import { AnswerCache, cacheKey } from "./answer-cache.js";
import { describeLlmError, isUnsupportedResponseFormat } from "./describe-error.js";
import { parseAnswer, repairOrder } from "./parse-answer.js";
import { buildPrompt, RANKING_SCHEMA, type AnswerFormat } from "./prompt.js";

export interface RerankRequest {
  instruction: string;
  /** sha256 of the query image, part of the cache key. */
  queryImageHash: string;
  /** The numbered panorama (JPEG) the LLM looks at; asked for only when an LLM is there to read it. */
  panorama: () => Promise<Buffer>;
  /** In vector order; the panorama numbers them 1..n in this order. */
  candidates: Array<{ id: string; metadata?: Record<string, unknown> | null }>;
}

export interface RerankOptions {
  /** Asks the LLM for a streamed answer and hands over its text as it arrives. */
  onText?: (delta: string) => void;
}

export interface RerankOutcome {
  reranked: boolean;
  /** A permutation of 0..n-1: the LLM's order when reranked, else the vector order. */
  order: number[];
  explanation: string | null;
  error: string | null;
  model: string | null;
  cached: boolean;
}

type RerankConfig = Config["rerank"];
type Answer = Pick<RerankOutcome, "order" | "explanation" | "model">;

const OPENAI_URL = "https://api.openai.com/v1";

export class RerankService {
  private readonly client: OpenAI | null;
  private readonly cache: AnswerCache<Answer>;
  /** Set once the endpoint turns json_schema down, so later calls go straight to the text format. */
  private structuredOutputRefused = false;

  constructor(
    private readonly config: RerankConfig,
    private readonly deps: { logger: Logger },
  ) {
    this.cache = new AnswerCache(config.cacheSize);
    // Local endpoints (vLLM, Ollama) need no key, but the SDK insists on one.
    const apiKey = config.apiKey ?? (config.baseUrl ? "not-needed" : undefined);
    this.client = apiKey ? new OpenAI({ apiKey, baseURL: config.baseUrl ?? OPENAI_URL, timeout: config.timeoutMs, maxRetries: config.maxRetries }) : null;
  }

  /** The model rerank asks. */
  get model(): string {
    return this.config.model;
  }

  /** Why rerank is off, or null when an endpoint is configured. */
  get disabledReason(): string | null {
    return this.client ? null : "Rerank is off: set OPENAI_API_KEY (and OPENAI_BASE_URL for an endpoint other than OpenAI)";
  }

  async rerank(request: RerankRequest, options: RerankOptions = {}): Promise<RerankOutcome> {
    const vectorOrder = request.candidates.map((_, i) => i);
    const fallback = (error: string): RerankOutcome => ({ reranked: false, order: vectorOrder, explanation: null, error, model: null, cached: false });

    if (!this.client) return fallback(this.disabledReason!);
    if (request.candidates.length === 0) return fallback("no candidates to rerank");
    const panorama = await request.panorama();

    const key = cacheKey({ queryImageHash: request.queryImageHash, instruction: request.instruction, candidateIds: request.candidates.map((c) => c.id), model: this.config.model });
    const hit = this.cache.get(key);
    if (hit) return { ...hit, reranked: true, error: null, cached: true };

    try {
      const answer = await this.ask(this.client, request, panorama, options);
      this.cache.set(key, answer);
      return { ...answer, reranked: true, error: null, cached: false };
    } catch (err) {
      const error = err instanceof UnreadableAnswer ? err.message : describeLlmError(err, this.endpointFacts());
      this.deps.logger.warn({ error, model: this.config.model }, "rerank failed; returning the vector order");
      return fallback(error);
    }
  }

  private async ask(client: OpenAI, request: RerankRequest, panorama: Buffer, options: RerankOptions): Promise<Answer> {
    // One deadline for the whole call, retries included, so a slow LLM cannot hold a search for minutes.
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    const complete = (format: AnswerFormat) =>
      options.onText
        ? this.streamed(client, this.body(request, panorama, format), signal, options.onText)
        : this.whole(client, this.body(request, panorama, format), signal);
    const first = this.firstFormat();
    let reply: Reply;
    try {
      reply = await complete(first);
    } catch (err) {
      if (first !== "json_schema" || this.config.responseFormat !== "auto" || !isUnsupportedResponseFormat(err)) throw err;
      this.deps.logger.info({ model: this.config.model }, "the LLM endpoint does not take json_schema; using the text format from now on");
      this.structuredOutputRefused = true;
      reply = await complete("text");
    }

    if (reply.refusal) throw new UnreadableAnswer(`The LLM refused: ${reply.refusal}`);
    const content = reply.content;
    const parsed = parseAnswer(content);
    if (!parsed) throw new UnreadableAnswer(`Could not read a ranking from the LLM's answer: ${quote(content)}`);
    const count = request.candidates.length;
    const repaired = repairOrder(parsed.indices, count);
    if (repaired.appended.length === count) throw new UnreadableAnswer(`The LLM's ranking names no candidate between 1 and ${count}: ${quote(content)}`);
    if (repaired.dropped.length > 0 || repaired.appended.length > 0) {
      this.deps.logger.debug({ dropped: repaired.dropped, appended: repaired.appended }, "rerank: repaired the LLM's indices");
    }
    return { order: repaired.order, explanation: parsed.explanation, model: reply.model || this.config.model };
  }

  private async whole(client: OpenAI, body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal): Promise<Reply> {
    const completion = await client.chat.completions.create(body, { signal });
    const message = completion.choices[0]?.message;
    return { content: message?.content ?? "", refusal: message?.refusal ?? null, model: completion.model };
  }

  /** The same request with stream: true; the text is passed on chunk by chunk and returned whole. */
  private async streamed(client: OpenAI, body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal, onText: (delta: string) => void): Promise<Reply> {
    const stream = await client.chat.completions.create({ ...body, stream: true }, { signal });
    const reply: Reply = { content: "", refusal: null, model: "" };
    for await (const chunk of stream) {
      reply.model ||= chunk.model;
      const delta = chunk.choices[0]?.delta;
      if (delta?.refusal) reply.refusal = (reply.refusal ?? "") + delta.refusal;
      if (delta?.content) {
        reply.content += delta.content;
        onText(delta.content);
      }
    }
    return reply;
  }

  private firstFormat(): AnswerFormat {
    if (this.config.responseFormat === "text" || this.structuredOutputRefused) return "text";
    return "json_schema";
  }

  private body(request: RerankRequest, panorama: Buffer, format: AnswerFormat): ChatCompletionCreateParamsNonStreaming {
    const prompt = buildPrompt(
      request.instruction,
      request.candidates.map((c) => c.metadata),
      this.config.metadataChars,
      format,
    );
    return {
      model: this.config.model,
      max_tokens: this.config.maxTokens,
      temperature: 0,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: prompt },
            { type: "image_url", image_url: { url: `data:image/jpeg;base64,${panorama.toString("base64")}` } },
          ],
        },
      ],
      ...(format === "json_schema" ? { response_format: { type: "json_schema" as const, json_schema: RANKING_SCHEMA } } : {}),
    };
  }

  private endpointFacts() {
    return { baseUrl: this.config.baseUrl ?? OPENAI_URL, model: this.config.model, timeoutMs: this.config.timeoutMs, maxRetries: this.config.maxRetries };
  }
}

interface Reply {
  content: string;
  refusal: string | null;
  model: string;
}

class UnreadableAnswer extends Error {}

function quote(content: string): string {
  const oneLine = content.replace(/\s+/g, " ").trim();
  return oneLine === "" ? "(empty)" : `"${oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine}"`;
}
