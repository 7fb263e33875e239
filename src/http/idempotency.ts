import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { actorOf } from '../context.js';
import { conflict, unprocessable, validation } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest { idempotency?: { scope: string; key: string; requestHash: string } }
  interface FastifyContextConfig {
    /** Fields of the answer that are secrets shown once (a new token): never stored, so a replay answers without them. */
    secretFields?: string[];
  }
}

const KEEP_HOURS = 24;
/** Each process deletes keys older than KEEP_HOURS at most this often (on an idempotent request). */
const PURGE_EVERY_MS = 60_000;

/** Deletes the keys older than 24 hours (a replay after that runs the request again anyway). */
export async function purgeIdempotencyKeys(db: AppContext['db']): Promise<number> {
  const rows = await db.query<{ one: number }>(
    `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => ${KEEP_HOURS}) RETURNING 1 AS one`);
  return rows.length;
}

/** The stored answer: the body without the route's secret fields. */
function storable(body: string, secretFields: string[] | undefined): string {
  if (!secretFields?.length || !body) return body;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const f of secretFields) delete (parsed as Record<string, unknown>)[f];
      return JSON.stringify(parsed);
    }
  } catch { /* not JSON: a problem body, stored as it is */ }
  return body;
}
/** A claim older than this is from a request that never finished (a crash): it may be taken over. */
const IN_FLIGHT_SECONDS = 60;

/**
 * Idempotency-Key on POST: the same key and body replays the first answer
 * (any status below 500), another body is 422 idempotency-conflict. Keys are
 * scoped to the caller's organization and kept 24 hours, then purged. A
 * secret shown once (a route's `secretFields`: a new token) is never stored:
 * its replay answers without it (SECURITY.md "Nothing secret at rest").
 */
export function idempotencyHooks(ctx: AppContext) {
  let purgedAt = 0;
  const preValidation = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST' || !req.principal) return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (Date.now() - purgedAt > PURGE_EVERY_MS) {
      purgedAt = Date.now();
      await purgeIdempotencyKeys(ctx.db);
    }
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw validation('Idempotency-Key must be 1 to 255 characters', [{ path: 'header:Idempotency-Key', message: 'invalid' }]);
    }
    if (isStream(req.body)) return; // streamed bulk bodies are not buffered for hashing; their writes are keyed
    const scope = actorOf(req.principal);
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.url}\n${canonicalize(req.body ?? null) ?? ''}`).digest('hex');
    // Claim the key first (status 0 = in flight), so two concurrent requests with one key run once.
    const claimed = await ctx.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, headers, body) VALUES ($1, $2, $3, 0, '{}', '')
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = 0, headers = '{}', body = '', created_at = now()
       WHERE idempotency_keys.created_at <= now() - make_interval(hours => ${KEEP_HOURS})
          OR (idempotency_keys.status = 0 AND idempotency_keys.created_at <= now() - make_interval(secs => ${IN_FLIGHT_SECONDS}))
       RETURNING 1`, [scope, key, requestHash]);
    if (claimed.length > 0) {
      req.idempotency = { scope, key, requestHash };
      return;
    }
    const rows = await ctx.db.query<{ request_hash: string; status: number; headers: Record<string, string>; body: string }>(
      'SELECT request_hash, status, headers, body FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
    const hit = rows[0];
    if (!hit || hit.request_hash !== requestHash) {
      throw unprocessable('idempotency-conflict', 'Idempotency conflict', 'This Idempotency-Key was used with another request body');
    }
    if (hit.status === 0) {
      throw conflict('idempotency-in-progress', 'Request in progress', 'A request with this Idempotency-Key is still being handled; retry shortly');
    }
    reply.code(hit.status).headers({ ...hit.headers, 'idempotent-replayed': 'true' });
    return reply.send(hit.body);
  };

  const onSend = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const idem = req.idempotency;
    if (!idem || reply.getHeader('idempotent-replayed')) return payload;
    if (reply.statusCode >= 500) {
      // A server error is not an answer to replay: free the key for a retry.
      await ctx.db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 0', [idem.scope, idem.key]);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'location']) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    const body = storable(typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '',
      req.routeOptions.config?.secretFields);
    await ctx.db.query(
      `UPDATE idempotency_keys SET status = $3, headers = $4::text::jsonb, body = $5 WHERE scope = $1 AND key = $2 AND status = 0`,
      [idem.scope, idem.key, reply.statusCode, JSON.stringify(headers), body]);
    return payload;
  };
  return { preValidation, onSend };
}

export const isStream = (body: unknown): body is NodeJS.ReadableStream =>
  typeof body === 'object' && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function'
  && typeof (body as { on?: unknown }).on === 'function';
