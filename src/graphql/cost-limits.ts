// Limits that refuse a costly operation before it runs, the same on both transports: tokens (at parse time,
// graphql-js's own maxTokens), depth and aliases (graphql-armor's validation rules), and a cost that
// multiplies each list's page size (`first`, `limit`) into the fields below it.
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import {
  getArgumentValues,
  getNamedType,
  getOperationAST,
  GraphQLError,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { QueryTooComplexError } from "../errors.js";

export interface QueryLimits {
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  /** Fields counted once per item a list can return: `images(first: 1000) { nodes { id url } }` costs 1 + 1000 × 3. */
  maxCost: number;
}

/** Arguments that bound how many items a field returns. */
const PAGE_SIZE_ARGS = ["first", "limit"];

export function parseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

export function limitRules(limits: QueryLimits): ValidationRule[] {
  const report = (context: ValidationContext | null, error: GraphQLError | { n: number }) => {
    if (context && error instanceof GraphQLError) context.reportError(new QueryTooComplexError(error.message.replace(/^Syntax Error: /, "")));
  };
  const options = { propagateOnRejection: false, onReject: [report] };
  return [
    maxDepthRule({ n: limits.maxDepth, ...options }) as unknown as ValidationRule,
    maxAliasesRule({ n: limits.maxAliases, ...options }) as unknown as ValidationRule,
  ];
}

/** graphql-js ends a parse past maxTokens with a syntax error; this recognises it (Apollo wraps it as GRAPHQL_PARSE_FAILED). */
export function tokenLimitError(error: unknown): QueryTooComplexError | undefined {
  for (let e: unknown = error; e instanceof GraphQLError; e = e.originalError) {
    const match = /Document contains more th(?:at|an) (\d+) tokens/.exec(e.message);
    if (match) return new QueryTooComplexError(`The query has more than ${match[1]} tokens`, { limit: Number(match[1]) });
  }
  return undefined;
}

/** Throws QUERY_TOO_COMPLEX when the operation costs more than `maxCost`; needs the variables, so it runs after validation. */
export function checkCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined, maxCost: number): number {
  const operation = getOperationAST(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const cost = selectionCost(operation.selectionSet, root, { schema, fragments, variables: variables ?? {}, seen: new Set() });
  if (cost > maxCost) throw new QueryTooComplexError(`The query would cost ${cost}, over the limit of ${maxCost} (page sizes × fields)`, { cost, limit: maxCost });
  return cost;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** Fragments on the current path: validation already refuses cycles, this only keeps the walk finite. */
  seen: Set<string>;
}

function selectionCost(set: SelectionSetNode, type: GraphQLObjectType, walk: Walk): number {
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = type.getFields()[selection.name.value];
      if (!field) continue; // __typename and friends
      const child = getNamedType(field.type);
      const below = selection.selectionSet && isObjectType(child) ? selectionCost(selection.selectionSet, child, walk) : 0;
      cost += 1 + pageSize(field, selection, walk) * below;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : type;
      if (isObjectType(on)) cost += selectionCost(selection.selectionSet, on, walk);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      const on = fragment && walk.schema.getType(fragment.typeCondition.name.value);
      if (!fragment || !isObjectType(on) || walk.seen.has(name)) continue;
      walk.seen.add(name);
      cost += selectionCost(fragment.selectionSet, on, walk);
      walk.seen.delete(name);
    }
  }
  return cost;
}

function pageSize(field: Parameters<typeof getArgumentValues>[0], node: Parameters<typeof getArgumentValues>[1], walk: Walk): number {
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(field, node, walk.variables);
  } catch {
    return 1; // bad arguments fail in execution with their own message
  }
  if (!field.args.some((a) => PAGE_SIZE_ARGS.includes(a.name))) return Math.max(1, batchSize(values));
  const size = PAGE_SIZE_ARGS.map((name) => values[name]).find((v) => typeof v === "number");
  return typeof size === "number" && size > 1 ? size : 1;
}

/** A list of inputs that each carry a page size (searchBatch's queries) returns the sum of them. */
function batchSize(values: Record<string, unknown>): number {
  let total = 0;
  for (const value of Object.values(values)) {
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      const size = item && typeof item === "object" ? PAGE_SIZE_ARGS.map((name) => (item as Record<string, unknown>)[name]).find((v) => typeof v === "number") : undefined;
      total += typeof size === "number" ? size : 0;
    }
  }
  return total;
}
