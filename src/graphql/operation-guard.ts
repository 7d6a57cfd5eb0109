// What every operation passes before it runs, on both transports: a valid key whose role may run each
// root field, a cost within the limits, and the caller's rate budget.
import { getArgumentValues, getOperationAST, Kind, type DocumentNode, type GraphQLSchema, type SelectionSetNode } from "graphql";
import type { RequestContext } from "../context.js";
import { operationWeight } from "../services/auth/roles.js";
import { checkCost, type QueryLimits } from "./cost-limits.js";

export interface GuardedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown>;
}

export async function guardOperation(op: GuardedOperation, context: RequestContext, limits: QueryLimits): Promise<void> {
  const operation = getOperationAST(op.document, op.operationName);
  const root = operation && op.schema.getRootType(operation.operation);
  if (!operation || !root) return;
  const fields = rootFields(operation.selectionSet, op.document);
  for (const field of fields) context.access.authorize(context.caller, operation.operation, field.name.value);
  checkCost(op.schema, op.document, op.operationName, op.variables, limits.maxCost);
  let points = 0;
  for (const field of fields) {
    const definition = root.getFields()[field.name.value];
    let args: Record<string, unknown> = {};
    try {
      if (definition) args = getArgumentValues(definition, field, op.variables ?? {});
    } catch {
      // Bad arguments fail in execution with their own message; weigh the field as if it had none.
    }
    points += operationWeight(field.name.value, args);
  }
  await context.access.rateLimits.spend(context.caller.rateKey, points);
}

type FieldNode = Extract<SelectionSetNode["selections"][number], { kind: Kind.FIELD }>;

/** The operation's top-level fields, through fragments; __typename needs no role. */
function rootFields(set: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== "__typename") fields.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      fields.push(...rootFields(selection.selectionSet, document, seen));
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment && fragment.kind === Kind.FRAGMENT_DEFINITION) fields.push(...rootFields(fragment.selectionSet, document, seen));
    }
  }
  return fields;
}
