import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { requireRole, who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, NoContent, responses } from '../http/schemas.js';
import { DemandParams } from '../demand/schemas.js';
import { onRound } from '../rounds/access.js';
import { visibleRound } from '../rounds/service.js';
import { BidAccepted, BidInput, BidView } from './schemas.js';
import * as svc from './service.js';

const tags = ['bids'];

export const bidRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  // Manufacturers skip the extra lookup here (the service checks visibility in
  // its own transaction); anyone else learns 404 or 403 before the body is read.
  const manufacturerOnly = async (req: FastifyRequest) => {
    if (req.principal?.role === 'manufacturer') return;
    await onRound((p) => requireRole(p, 'manufacturer'))(req);
  };
  // Bid routes are sealed: their log lines name neither the bidder nor the item (route template, no actor).
  const config = { sealed: true };

  app.put('/v1/rounds/:id/bids/:itemCode', {
    config,
    onRequest: manufacturerOnly,
    schema: {
      tags, params: DemandParams, body: BidInput, response: responses({ 200: BidAccepted }),
      description: 'Submit or replace the sealed bid for an item while bidOpensAt ≤ now < bidClosesAt. The price is echoed only here.',
    },
  }, async (req) => svc.putBid(ctx, who(req), req.params.id, req.params.itemCode, req.body));

  app.delete('/v1/rounds/:id/bids/:itemCode', {
    config,
    onRequest: manufacturerOnly,
    schema: { tags, params: DemandParams, response: responses({ 204: NoContent }) },
  }, async (req, reply) => {
    await svc.withdrawBid(ctx, who(req), req.params.id, req.params.itemCode);
    return reply.code(204).send(null);
  });

  app.get('/v1/rounds/:id/bids', {
    config,
    onRequest: onRound((p) => requireRole(p, 'manufacturer', 'alliance', 'operator')),
    schema: { tags, params: IdParam, querystring: Type.Object(PageQuery), response: responses({ 200: pageOf(BidView) }) },
  }, async (req) => {
    const p = who(req);
    return svc.listBids(ctx, p, await visibleRound(ctx.db, p, req.params.id), req.query);
  });
};
