import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { actorOf } from '../context.js';
import { unprocessable, validation } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest { idempotency?: { scope: string; key: string; requestHash: string } }
}

const KEEP_HOURS = 24;

/**
 * Idempotency-Key on POST: the same key and body replays the first answer
 * (any status below 500), another body is 422 idempotency-conflict. Keys are
 * scoped to the caller's organization and kept 24 hours.
 */
export function registerIdempotency(app: FastifyInstance, ctx: AppContext) {
  app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST' || !req.principal) return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw validation('Idempotency-Key must be 1 to 255 characters', [{ path: 'header:Idempotency-Key', message: 'invalid' }]);
    }
    if (isStream(req.body)) return; // streamed bulk bodies are not buffered for hashing; their writes are keyed
    const scope = actorOf(req.principal);
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.url}\n${canonicalize(req.body ?? null) ?? ''}`).digest('hex');
    const rows = await ctx.db.query<{ request_hash: string; status: number; headers: Record<string, string>; body: string }>(
      `SELECT request_hash, status, headers, body FROM idempotency_keys
        WHERE scope = $1 AND key = $2 AND created_at > now() - make_interval(hours => ${KEEP_HOURS})`, [scope, key]);
    if (rows.length > 0) {
      const hit = rows[0];
      if (hit.request_hash !== requestHash) {
        throw unprocessable('idempotency-conflict', 'Idempotency conflict',
          'This Idempotency-Key was used with another request body');
      }
      reply.code(hit.status).headers({ ...hit.headers, 'idempotent-replayed': 'true' });
      return reply.send(hit.body);
    }
    req.idempotency = { scope, key, requestHash };
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem || reply.statusCode >= 500 || reply.getHeader('idempotent-replayed')) return payload;
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'location']) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    await ctx.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, headers, body) VALUES ($1, $2, $3, $4, $5::text::jsonb, $6)
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
         headers = EXCLUDED.headers, body = EXCLUDED.body, created_at = now()
       WHERE idempotency_keys.created_at <= now() - make_interval(hours => ${KEEP_HOURS})`,
      [idem.scope, idem.key, idem.requestHash, reply.statusCode, JSON.stringify(headers), body]);
    return payload;
  });
}

export const isStream = (body: unknown): body is NodeJS.ReadableStream =>
  !!body && typeof (body as any).pipe === 'function' && typeof (body as any).on === 'function';
