import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { requireRole, who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { DemandParams } from '../demand/schemas.js';
import { onRound } from '../rounds/access.js';
import { visibleRound } from '../rounds/service.js';
import { BidAccepted, BidInput, BidView } from './schemas.js';
import * as svc from './service.js';

const tags = ['bids'];

export async function bidRoutes(app: FastifyInstance) {
  const ctx = app.ctx;
  // Manufacturers skip the extra lookup here (the service checks visibility in
  // its own transaction); anyone else learns 404 or 403 before the body is read.
  const manufacturerOnly = async (req: any) => {
    if (req.principal?.role === 'manufacturer') return;
    await onRound((p) => requireRole(p, 'manufacturer'))(req);
  };

  app.put('/v1/rounds/:id/bids/:itemCode', {
    onRequest: manufacturerOnly,
    schema: {
      tags, params: DemandParams, body: BidInput, response: responses({ 200: BidAccepted }),
      description: 'Submit or replace the sealed bid for an item while bidOpensAt ≤ now < bidClosesAt. The price is echoed only here.',
    },
  }, async (req) => {
    const { id, itemCode } = req.params as any;
    return svc.putBid(ctx, who(req), id, itemCode, req.body as any);
  });

  app.delete('/v1/rounds/:id/bids/:itemCode', {
    onRequest: manufacturerOnly,
    schema: { tags, params: DemandParams, response: responses({ 204: Type.Null() }) },
  }, async (req, reply) => {
    const { id, itemCode } = req.params as any;
    await svc.withdrawBid(ctx, who(req), id, itemCode);
    return reply.code(204).send();
  });

  app.get('/v1/rounds/:id/bids', {
    onRequest: onRound((p) => requireRole(p, 'manufacturer', 'alliance', 'operator')),
    schema: { tags, params: IdParam, querystring: Type.Object(PageQuery), response: responses({ 200: pageOf(BidView) }) },
  }, async (req) => {
    const p = who(req);
    return svc.listBids(ctx, p, await visibleRound(ctx.db, p, (req.params as any).id), req.query as any);
  });
}
