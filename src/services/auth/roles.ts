// Who may run what. Each root field names the least role it needs; queries and subscriptions are "read"
// unless listed, and a mutation that is not listed needs "admin", so a new mutation is safe until classified.
export const ROLES = ["read", "write", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { read: 0, write: 1, admin: 2 };

/** The least role per root field, by operation type. */
export const OPERATION_ROLES: Record<"query" | "mutation" | "subscription", Record<string, Role>> = {
  query: {},
  subscription: {},
  mutation: {
    // Searches are mutations only because they take an upload.
    searchComposed: "read",
    searchByImage: "read",
    addImage: "write",
    updateImage: "write",
    ingestImages: "write",
    // A write key may cancel only its own jobs; the resolver checks whose job it is.
    cancelIngestJob: "write",
    deleteImage: "admin",
    ingestFolder: "admin",
    ingestUrls: "admin",
    createCatalogue: "admin",
    dropCatalogue: "admin",
    reindex: "admin",
    dropInactiveCollection: "admin",
  },
};

export function requiredRole(operation: "query" | "mutation" | "subscription", field: string): Role {
  return OPERATION_ROLES[operation][field] ?? (operation === "mutation" ? "admin" : "read");
}

export function allows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Rate-limit points per root field: the LLM rerank and ingest jobs cost far more than a lookup. */
export function operationWeight(field: string, args: Record<string, unknown>): number {
  switch (field) {
    case "searchComposed":
    case "searchComposedStream":
      return args.rerank === false ? 2 : 10;
    case "searchBatch":
      return Array.isArray(args.queries) ? Math.max(1, args.queries.length) : 1;
    case "searchByImage":
    case "addImage":
      return 2;
    case "ingestImages":
    case "ingestFolder":
    case "ingestUrls":
    case "reindex":
      return 10;
    default:
      return 1;
  }
}
