/**
 * The TypeScript client of the Anxin institution API.
 *
 * `schema.d.ts` is generated from the server's `/openapi.json` by openapi-typescript
 * (`npm run generate`; committed, and checked against a live server by
 * tests/journeys/test_typescript_client.py); calls go through openapi-fetch, typed by it.
 * This file is the small hand-written part: the key set once, an Idempotency-Key on
 * every creating call, and every refusal thrown as an `AnxinProblem`.
 *
 *     const anxin = createAnxin("https://anxin.example.com", "anx_...");
 *     const auth = await anxin.authorizations.create({ template: "credit-check", ... });
 *     const use = await anxin.authorizations.use(auth.id, { purpose: "loan_approval", ... });
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, paths } from "./schema";
type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** An RFC 9457 problem answer: program against `code`, never against `detail`. */
export class AnxinProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly field: string | null;
  readonly retryAfter: number | null;
  readonly body: unknown;

  constructor(status: number, body: unknown, retryAfterHeader: string | null) {
    const problem = (typeof body === "object" && body !== null ? body : {}) as Partial<Problem>;
    const code = typeof problem.code === "string" ? problem.code : `http_${status}`;
    super(`${status} ${code}: ${problem.detail ?? ""}`);
    this.name = "AnxinProblem";
    this.status = status;
    this.code = code;
    this.detail = problem.detail ?? "";
    this.field = problem.field ?? null;
    const header = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
    this.retryAfter = problem.retry_after ?? (Number.isFinite(header) ? header : null);
    this.body = body;
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

function result<T>(answer: Answer<T>): T {
  if (answer.response.ok && answer.data !== undefined) {
    return answer.data;
  }
  throw new AnxinProblem(answer.response.status, answer.error ?? null,
                         answer.response.headers.get("Retry-After"));
}

/** A fresh key for one logical call: reuse it to retry that call safely. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export function createAnxin(baseUrl: string, apiKey: string) {
  const client = createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    headers: { Authorization: `Bearer ${apiKey}` },
  });
  return {
    /** The openapi-fetch client, for every operation the façade does not wrap. */
    client,
    templates: {
      async create(body: Schemas["TemplateRequest"], idempotencyKey = newIdempotencyKey()) {
        return result(await client.POST("/v1/templates", {
          body, params: { header: { "Idempotency-Key": idempotencyKey } } }));
      },
      async get(code: string) {
        return result(await client.GET("/v1/templates/{code}", { params: { path: { code } } }));
      },
    },
    authorizations: {
      async create(body: Schemas["AuthorizationRequest"], idempotencyKey = newIdempotencyKey()) {
        return result(await client.POST("/v1/authorizations", {
          body, params: { header: { "Idempotency-Key": idempotencyKey } } }));
      },
      async get(authId: string) {
        return result(await client.GET("/v1/authorizations/{auth_id}", {
          params: { path: { auth_id: authId } } }));
      },
      async list(query: paths["/v1/authorizations"]["get"]["parameters"]["query"] = {}) {
        return result(await client.GET("/v1/authorizations", { params: { query } }));
      },
      /** The gate: one use, or an AnxinProblem (409 authorization_exhausted, ...). */
      async use(authId: string, body: Schemas["UseRequest"],
                idempotencyKey = newIdempotencyKey()) {
        return result(await client.POST("/v1/authorizations/{auth_id}/uses", {
          body, params: { path: { auth_id: authId },
                          header: { "Idempotency-Key": idempotencyKey } } }));
      },
      async cancel(authId: string) {
        return result(await client.POST("/v1/authorizations/{auth_id}/cancel", {
          params: { path: { auth_id: authId } } }));
      },
    },
    events: {
      /** Events after `cursor`, oldest first; ask again with `next` while `has_more`. */
      async list(cursor?: string, pageSize?: number) {
        return result(await client.GET("/v1/events", {
          params: { query: { after: cursor, page_size: pageSize } } }));
      },
    },
  };
}

export type Anxin = ReturnType<typeof createAnxin>;
