/**
 * The typed client of the API: openapi-fetch over the types generated from
 * openapi/openapi.json (src/client/schema.d.ts, `npm run client`). Paths,
 * parameters, bodies and answers are checked by tsc against the document, so
 * a route that drifts from it breaks the build of whatever uses this client
 * (scripts/demo.ts, test/api/client.test.ts).
 *
 *   const api = jicaiClient('http://127.0.0.1:3000', { token });
 *   const round = await must(api.GET('/v1/rounds/{id}', { params: { path: { id } } }));
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type JicaiClient = Client<paths>;
export type Problem = components['schemas']['Problem'];

/** The JSON body an operation takes, by path and method. */
export type BodyOf<P extends keyof paths, M extends 'post' | 'put' | 'patch'> =
  paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export interface ClientOptions {
  /** A bearer token (or the operator's JICAI_MASTER_KEY). */
  token?: string;
  /** `zh-CN` for problem titles and details in Chinese. */
  acceptLanguage?: string;
  fetch?: (input: Request) => Promise<Response>;
}

export function jicaiClient(baseUrl: string, opts: ClientOptions = {}): JicaiClient {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.acceptLanguage) headers['accept-language'] = opts.acceptLanguage;
  return createClient<paths>({ baseUrl, headers, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
}

/** An answer of status 400 or above, with its problem details. */
export class ApiProblem extends Error {
  constructor(readonly status: number, readonly problem: Problem | undefined, readonly url: string) {
    super(`${url} → ${status} ${problem?.type ?? ''}: ${problem?.detail ?? ''}`);
  }
}

/** The success body of a call; an error answer throws ApiProblem. */
export async function must<D, E>(call: Promise<{ data?: D; error?: E; response: Response }>): Promise<D> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiProblem(response.status, error as Problem | undefined, response.url);
  return data as D;
}

/**
 * A row of PUT /v1/rounds/{id}/usage and of PUT /v1/rounds/{id}/deliveries (API.md). These bulk routes
 * take a JSON array, CSV or NDJSON and stream it, so the document declares no body for them and the
 * generated types have none: the rows are typed here instead.
 */
export interface UsageRow {
  hospitalId?: string; period: string; itemCode: string; productId?: string;
  orderedQuantity: number; receivedQuantity: number; amount: string;
}
export interface DeliveryRow { hospitalId: string; period: string; itemCode: string; shippedQuantity: number }

/**
 * Request options that send `rows` as the JSON array body of a bulk route (the path, parameters and
 * answer stay checked by the generated types):
 *   await must(api.PUT('/v1/rounds/{id}/usage', { params: { path: { id } }, ...jsonRows(rows) }));
 */
export function jsonRows(rows: readonly UsageRow[] | readonly DeliveryRow[]) {
  const body: Middleware = { onRequest: ({ request }) => new Request(request, { body: JSON.stringify(rows) }) };
  return { headers: { 'content-type': 'application/json' }, middleware: [body] };
}
