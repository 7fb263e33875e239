import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { requireRole, who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { DemandParams } from '../demand/schemas.js';
import { onRound, roundAlliance } from '../rounds/access.js';
import { Round } from '../rounds/schemas.js';
import { toRound, visibleRound } from '../rounds/service.js';
import { openRound } from './opening.js';
import { Agreement, Allocation, Preference, PreferenceInput, Results } from './schemas.js';
import * as svc from './service.js';

const tags = ['results'];

export async function resultRoutes(app: FastifyInstance) {
  const ctx = app.ctx;

  app.post('/v1/rounds/:id/open', {
    onRequest: roundAlliance,
    schema: { tags, description: 'bidding → opened, at or after bidClosesAt; answers as GET /results', params: IdParam, response: responses({ 200: Results }) },
  }, async (req) => {
    const p = who(req);
    const id = (req.params as any).id;
    await openRound(ctx, p, id);
    return svc.getResults(ctx.db, await visibleRound(ctx.db, p, id));
  });

  app.get('/v1/rounds/:id/results', {
    onRequest: onRound(),
    schema: { tags, params: IdParam, response: responses({ 200: Results }) },
  }, async (req) => svc.getResults(ctx.db, await visibleRound(ctx.db, who(req), (req.params as any).id)));

  app.put('/v1/rounds/:id/region-preferences/:itemCode', {
    onRequest: onRound((p) => requireRole(p, 'manufacturer')),
    schema: { tags, description: 'a winning manufacturer, while the round is opened', params: DemandParams, body: PreferenceInput, response: responses({ 200: Preference }) },
  }, async (req) => {
    const { id, itemCode } = req.params as any;
    return svc.putPreference(ctx, who(req), id, itemCode, (req.body as any).regionCodes);
  });

  app.post('/v1/rounds/:id/award', {
    onRequest: roundAlliance,
    schema: { tags, description: 'opened → awarded: fixes supply regions and per-hospital agreements', params: IdParam, response: responses({ 200: Round }) },
  }, async (req) => toRound(await svc.awardRound(ctx, who(req), (req.params as any).id)));

  app.get('/v1/rounds/:id/allocations', {
    onRequest: onRound(),
    schema: { tags, params: IdParam, querystring: Type.Object({ ...PageQuery, itemCode: Type.Optional(Type.String({ maxLength: 32 })) }), response: responses({ 200: pageOf(Allocation) }) },
  }, async (req) => svc.listAllocations(ctx, await visibleRound(ctx.db, who(req), (req.params as any).id), req.query as any));

  app.get('/v1/rounds/:id/agreements', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam, description: 'hospitals see their own, manufacturers those they supply, the alliance and operator all',
      querystring: Type.Object({ ...PageQuery, hospitalId: Type.Optional(Type.String({ maxLength: 64 })), itemCode: Type.Optional(Type.String({ maxLength: 32 })), manufacturerId: Type.Optional(Type.String({ maxLength: 64 })) }),
      response: responses({ 200: pageOf(Agreement) }),
    },
  }, async (req) => {
    const p = who(req);
    return svc.listAgreements(ctx, p, await visibleRound(ctx.db, p, (req.params as any).id), req.query as any);
  });
}
