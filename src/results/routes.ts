import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../context.js';
import { requireRole, who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { DemandParams } from '../demand/schemas.js';
import { onRound, roundAlliance } from '../rounds/access.js';
import { toRound } from '../rounds/mapper.js';
import { Round } from '../rounds/schemas.js';
import { visibleRound } from '../rounds/service.js';
import { listAgreements, listAllocations } from './agreements.js';
import { awardRound } from './award.js';
import { requestOpening } from './open-request.js';
import { Agreement, Allocation, Preference, PreferenceInput, Results } from './schemas.js';
import { getResults, putPreference } from './service.js';
import { noticeCheck } from '../objections/service.js';

const tags = ['results'];

export const resultRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/rounds/:id/open', {
    onRequest: roundAlliance,
    schema: {
      tags, params: IdParam, response: responses({ 200: Results }),
      description: 'bidding → opened, at or after bidClosesAt; answers as GET /results. The bids are opened by the worker (the API holds no key that reads them): '
        + 'if it has not finished within JICAI_OPENING_WAIT_MS the answer is 503 opening-pending with Retry-After; the opening still completes, and a repeated POST /open waits for the same one.',
    },
  }, async (req) => getResults(ctx.db, await requestOpening(ctx, who(req), req.params.id)));

  app.get('/v1/rounds/:id/results', {
    onRequest: onRound(),
    schema: { tags, params: IdParam, response: responses({ 200: Results }) },
  }, async (req) => getResults(ctx.db, await visibleRound(ctx.db, who(req), req.params.id)));

  app.put('/v1/rounds/:id/region-preferences/:itemCode', {
    onRequest: onRound((p) => requireRole(p, 'manufacturer')),
    schema: { tags, description: 'a winning manufacturer, while the round is opened', params: DemandParams, body: PreferenceInput, response: responses({ 200: Preference }) },
  }, async (req) => putPreference(ctx, who(req), req.params.id, req.params.itemCode, req.body.regionCodes));

  app.post('/v1/rounds/:id/award', {
    onRequest: roundAlliance,
    schema: { tags, description: 'opened → awarded: fixes supply regions and per-hospital agreements; 409 notice-period while the notice period runs or an objection is undecided', params: IdParam, response: responses({ 200: Round }) },
  }, async (req) => toRound(await awardRound(ctx, actorOf(who(req)), req.params.id, (tx, r) => noticeCheck(ctx, tx, r))));

  app.get('/v1/rounds/:id/allocations', {
    onRequest: onRound(),
    schema: { tags, params: IdParam, querystring: Type.Object({ ...PageQuery, itemCode: Type.Optional(Type.String({ maxLength: 32 })) }), response: responses({ 200: pageOf(Allocation) }) },
  }, async (req) => listAllocations(ctx, await visibleRound(ctx.db, who(req), req.params.id), req.query));

  app.get('/v1/rounds/:id/agreements', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam,
      description: 'Hospitals see their own, manufacturers those they supply, the alliance and operator all. Ordered by hospital, then item (in the order they were registered and added).',
      querystring: Type.Object({ ...PageQuery, hospitalId: Type.Optional(Type.String({ maxLength: 64 })), itemCode: Type.Optional(Type.String({ maxLength: 32 })), manufacturerId: Type.Optional(Type.String({ maxLength: 64 })) }),
      response: responses({ 200: pageOf(Agreement) }),
    },
  }, async (req) => {
    const p = who(req);
    return listAgreements(ctx, p, await visibleRound(ctx.db, p, req.params.id), req.query);
  });
};
