import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import type { RouteOptions } from 'fastify';
import { operationFor, type ProblemCode } from '../operations.js';
import { ProblemSchema } from '../schemas.js';
import { PROBLEM_JSON } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** `METHOD /route status` of 4xx answers a route gave that its document does not list (tests require none). */
    undocumentedAnswers: Set<string>;
  }
}

/** The answers every route of a kind shares, whatever it does. */
const SHARED: Record<ProblemCode, string> = {
  400: '`validation`: the path, query, headers or body do not match the schema, or the body is not valid JSON',
  401: '`unauthorized`: no bearer token, or an unknown or revoked one',
  403: '`forbidden`: the role may not do this',
  404: '`not-found`: the resource does not exist, or the caller may not see it',
  409: '`idempotency-in-progress`: a request with this Idempotency-Key is still running (retry it)',
  413: '`payload-too-large`: the body is over the size limit',
  415: '`unsupported-media-type`: a content type the route does not take',
  422: '`idempotency-conflict`: this Idempotency-Key was used with another body',
  429: '`rate-limited`: too many requests for this token (or address); see Retry-After',
};

const SUCCESS: Record<string, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted: queued', 204: 'No content',
};

const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_JSON]: { schema: Type.Ref(ProblemSchema) } },
});

type Schema = NonNullable<RouteOptions['schema']> & {
  hide?: boolean; operationId?: string; summary?: string; description?: string; tags?: string[];
};

/** The 4xx codes a route answers besides its own: from what it takes and whether it needs a token. */
function sharedCodes(route: RouteOptions, method: string, schema: Schema): ProblemCode[] {
  const codes: ProblemCode[] = [];
  const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  if (withBody || schema.params || schema.querystring || schema.body) codes.push(400);
  if (route.config?.public !== true) codes.push(401);
  if (route.url.includes(':')) codes.push(404);
  if (withBody) codes.push(413, 415);
  if (method === 'POST') codes.push(409, 422);
  if (route.url !== '/health') codes.push(429);
  return codes;
}

/**
 * Documents every route from the operations table (src/http/operations.ts):
 * operationId, summary, description, tag, and one problem+json answer per 4xx
 * code it can give, in place of the 4xx range. A route missing from the table
 * stays undocumented (a test names it). Answers a route gives outside its
 * documented codes are collected in app.undocumentedAnswers and logged once.
 */
export default fp(async function operations(app) {
  const documented = new Map<string, Set<number>>();
  app.decorate('undocumentedAnswers', new Set<string>());
  // The problem answers refer to it (the docs plugin names it a component).
  if (!app.getSchema('Problem')) app.addSchema(ProblemSchema);

  app.addHook('onRoute', (route) => {
    const method = ([] as string[]).concat(route.method).find((m) => m !== 'HEAD');
    const schema = (route.schema ?? {}) as Schema;
    if (!method || schema.hide) return;
    const entry = operationFor(method, route.url);
    if (!entry) return;
    const own = (schema.response ?? {}) as Record<string, unknown>;
    const response: Record<string, unknown> = {};
    for (const [code, s] of Object.entries(own)) {
      if (code === '4xx' || code === '5xx') continue;
      // A success without a description of its own says what it is instead of "Default Response".
      const described = s && typeof s === 'object' && 'description' in s;
      response[code] = described ? s : { ...(s as object), description: SUCCESS[code] ?? entry.summary };
    }
    const codes = new Set<number>([...sharedCodes(route, method, schema), ...Object.keys(entry.problems).map(Number)]);
    for (const code of [...codes].sort()) {
      const c = code as ProblemCode;
      const shared = sharedCodes(route, method, schema).includes(c) ? SHARED[c] : undefined;
      const text = [entry.problems[c], shared && shared !== entry.problems[c] && (c === 409 || c === 422) ? shared : undefined].filter(Boolean).join('; ');
      response[String(code)] = problemResponse(text || SHARED[c]);
    }
    response['5xx'] = problemResponse('`internal`; `unavailable` (503, with Retry-After) while the database is unreachable: nothing was written, send it again');
    const description = [entry.description, entry.replacesRouteText ? undefined : schema.description].filter(Boolean).join('\n\n');
    route.schema = { ...schema, operationId: entry.operationId, summary: entry.summary, description, tags: [entry.tag], response } as Schema;
    documented.set(`${method} ${route.url}`, new Set([...Object.keys(response).map(Number).filter(Number.isInteger)]));
  });

  app.addHook('onResponse', async (req, reply) => {
    const status = reply.statusCode;
    if (status < 400 || status >= 500 || !req.routeOptions.url) return;
    const key = `${req.method === 'HEAD' ? 'GET' : req.method} ${req.routeOptions.url}`;
    const codes = documented.get(key);
    if (!codes || codes.has(status)) return;
    const seen = `${key} ${status}`;
    if (app.undocumentedAnswers.has(seen)) return;
    app.undocumentedAnswers.add(seen);
    req.log.warn({ route: key, status }, 'answer not listed in the OpenAPI document');
  });
}, { name: 'operations' });
