import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Principal } from '../context.js';
import type { Queryable } from '../db/client.js';
import { requireRole, roles, who } from '../http/auth.js';
import { PageQuery, decodeCursor, toPage } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { notFound } from '../http/problem.js';
import { onRound } from '../rounds/access.js';
import { visibleRound, type RoundRow } from '../rounds/service.js';
import { listEvents, PLATFORM_CHAIN, sealChain, verifyChain, type ChainReport } from './service.js';

const tags = ['audit'];
const SEALED = new Set(['draft', 'demand', 'bidding']);

const Event = Type.Object({
  seq: Type.Integer(), type: Type.String(), at: Type.String(), actor: Type.String(), data: Type.Unknown(),
  prevHash: Type.String(), hash: Type.String(),
});

/**
 * Before opening the alliance must not learn how many bids there are, so it
 * reads the round's chain only up to its first bid event: a prefix of a hash
 * chain still verifies. The operator reads it whole.
 */
async function visibleLimit(db: Queryable, p: Principal, r: RoundRow): Promise<number> {
  if (p.role === 'operator' || !SEALED.has(r.state)) return Number.MAX_SAFE_INTEGER;
  const first = await db.query<{ seq: number | null }>(`SELECT min(seq) AS seq FROM audit_events WHERE chain = $1 AND type LIKE 'bid.%'`, [r.id]);
  return first[0].seq === null ? Number.MAX_SAFE_INTEGER : first[0].seq - 1;
}

export async function auditRoutes(app: FastifyInstance) {
  const ctx = app.ctx;

  app.get('/v1/rounds/:id/audit', {
    onRequest: onRound((p) => requireRole(p, 'alliance', 'operator')),
    schema: {
      tags, params: IdParam, querystring: Type.Object(PageQuery),
      description: "The round's hash chain: hash = sha256(prevHash + RFC 8785 JSON of {seq, type, at, actor, data}). Before opening the alliance sees it up to the first bid event.",
      response: responses({ 200: Type.Object({ data: Type.Array(Event), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (req) => {
    const p = who(req);
    const r = await visibleRound(ctx.db, p, (req.params as any).id);
    const q = req.query as { limit?: number; cursor?: string };
    const limit = q.limit ?? 100;
    const after = Number(decodeCursor(q.cursor, 1)?.[0] ?? 0);
    await ctx.db.transaction((tx) => sealChain(tx, r.id));
    const max = await visibleLimit(ctx.db, p, r);
    const rows = (await listEvents(ctx.db, r.id, after, limit + 1)).filter((e) => e.seq <= max);
    return toPage(rows, limit, (e) => [e.seq], (e) => e);
  });

  app.get('/v1/audit/verify', {
    onRequest: roles('alliance', 'operator'),
    schema: {
      tags, querystring: Type.Object({ roundId: Type.Optional(Type.String({ maxLength: 64 })) }),
      description: 'Recomputes hash chains. With roundId: that round. Without: the operator checks the platform chain and every round, an alliance its own rounds.',
      response: responses({ 200: Type.Object({
        ok: Type.Boolean(), events: Type.Integer(), head: Type.Union([Type.String(), Type.Null()]),
        brokenAt: Type.Optional(Type.Object({ chain: Type.String(), seq: Type.Integer(), reason: Type.String() })),
        chains: Type.Array(Type.Object({ chain: Type.String(), ok: Type.Boolean(), events: Type.Integer(), head: Type.String() })),
      }) }),
    },
  }, async (req) => {
    const p = who(req);
    const { roundId } = req.query as { roundId?: string };
    let chains: string[];
    if (roundId) chains = [(await visibleRound(ctx.db, p, roundId)).id];
    else if (p.role === 'operator') {
      chains = [PLATFORM_CHAIN, ...(await ctx.db.query<{ id: string }>('SELECT id FROM rounds ORDER BY id')).map((r) => r.id)];
    } else {
      chains = (await ctx.db.query<{ id: string }>('SELECT id FROM rounds WHERE alliance_id = $1 ORDER BY id', [p.orgId])).map((r) => r.id);
    }
    const reports: ChainReport[] = [];
    for (const chain of chains) {
      await ctx.db.transaction((tx) => sealChain(tx, chain));
      const r = chain === PLATFORM_CHAIN ? null : await visibleRound(ctx.db, p, chain).catch(() => null);
      if (chain !== PLATFORM_CHAIN && !r) throw notFound('Round');
      const upTo = r ? await visibleLimit(ctx.db, p, r) : Number.MAX_SAFE_INTEGER;
      reports.push(await verifyChain(ctx.db, chain, upTo));
    }
    const broken = reports.find((x) => !x.ok);
    return {
      ok: !broken,
      events: reports.reduce((n, x) => n + x.events, 0),
      head: reports.length === 1 ? reports[0].head : null,
      ...(broken ? { brokenAt: { chain: broken.chain, ...broken.brokenAt! } } : {}),
      chains: reports.map((x) => ({ chain: x.chain, ok: x.ok, events: x.events, head: x.head })),
    };
  });
}
