import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { roles, who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { onRound, roundAlliance } from './access.js';
import { PLAIN_ACTIONS, TRANSITIONS } from './lifecycle.js';
import { toRound } from './mapper.js';
import { Item, ItemInput, Round, RoundInput, RoundPatch, RoundQuery } from './schemas.js';
import * as svc from './service.js';

const tags = ['rounds'];

export const roundRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/rounds', {
    onRequest: roles('alliance', 'operator'),
    schema: { tags, body: RoundInput, response: responses({ 201: Round }) },
  }, async (req, reply) => {
    const round = await svc.createRound(ctx, who(req), req.body);
    return reply.code(201).header('location', `/v1/rounds/${round.id}`).send(round);
  });

  app.get('/v1/rounds', {
    schema: { tags, querystring: RoundQuery, response: responses({ 200: pageOf(Round) }) },
  }, async (req) => svc.listRounds(ctx, who(req), req.query));

  app.get('/v1/rounds/:id', {
    schema: { tags, params: IdParam, response: responses({ 200: Round }) },
  }, async (req) => toRound(await svc.visibleRound(ctx.db, who(req), req.params.id)));

  app.patch('/v1/rounds/:id', {
    onRequest: roundAlliance,
    schema: { tags, description: 'draft only', params: IdParam, body: RoundPatch, response: responses({ 200: Round }) },
  }, async (req) => svc.patchRound(ctx, who(req), req.params.id, req.body));

  app.post('/v1/rounds/:id/items', {
    onRequest: roundAlliance,
    schema: { tags, description: 'draft or demand only', params: IdParam, body: ItemInput, response: responses({ 201: Item }) },
  }, async (req, reply) => reply.code(201).send(await svc.addItem(ctx, who(req), req.params.id, req.body)));

  app.get('/v1/rounds/:id/items', {
    onRequest: onRound(),
    schema: { tags, params: IdParam, querystring: Type.Object(PageQuery), response: responses({ 200: pageOf(Item) }) },
  }, async (req) => svc.listItems(ctx, who(req), req.params.id, req.query));

  for (const action of PLAIN_ACTIONS) {
    const t = TRANSITIONS[action];
    app.post(`/v1/rounds/:id/${action}`, {
      onRequest: roundAlliance,
      schema: { tags, description: `${t.from.join(' | ')} → ${t.to}`, params: IdParam, response: responses({ 200: Round }) },
    }, async (req) => svc.transition(ctx, who(req), req.params.id, action));
  }
};
