import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireRole, roles, who } from '../http/auth.js';
import { PageQuery } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { onRound } from '../rounds/access.js';
import { visibleRound } from '../rounds/service.js';
import { readRoundAudit, verifyAudit } from './service.js';

const tags = ['audit'];

const Event = Type.Object({
  seq: Type.Integer(), type: Type.String(), at: Type.String(), actor: Type.String(), data: Type.Unknown(),
  prevHash: Type.String(), hash: Type.String(),
});

const Verification = Type.Object({
  ok: Type.Boolean(), events: Type.Integer(), head: Type.Union([Type.String(), Type.Null()]),
  brokenAt: Type.Optional(Type.Object({ chain: Type.String(), seq: Type.Integer(), reason: Type.String() })),
  chains: Type.Array(Type.Object({ chain: Type.String(), ok: Type.Boolean(), events: Type.Integer(), head: Type.String() })),
});

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
    return readRoundAudit(ctx.db, p, await visibleRound(ctx.db, p, req.params.id), req.query);
  });

  app.get('/v1/audit/verify', {
    onRequest: roles('alliance', 'operator'),
    schema: {
      tags, querystring: Type.Object({ roundId: Type.Optional(Type.String({ maxLength: 64 })) }),
      description: 'Recomputes hash chains. With roundId: that round. Without: the operator checks the platform chain and every round, an alliance its own rounds.',
      response: responses({ 200: Verification }),
    },
  }, async (req) => verifyAudit(ctx.db, who(req), req.query.roundId));
};
