import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { onRound, roundAlliance, roundRoles } from '../rounds/access.js';
import { Objection, ObjectionDecisionInput, ObjectionInput, ObjectionParams } from './schemas.js';
import * as svc from './service.js';

const tags = ['objections'];

export const objectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/rounds/:id/objections', {
    onRequest: roundRoles('manufacturer'),
    schema: {
      tags, params: IdParam, body: ObjectionInput, response: responses({ 201: Objection }),
      description: 'A manufacturer that bid on the item objects to another manufacturer\'s bid, during the notice period (409 notice-closed outside it).',
    },
  }, async (req, reply) => reply.code(201).send(await svc.fileObjection(ctx, who(req), req.params.id, req.body)));

  app.get('/v1/rounds/:id/objections', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam, querystring: Type.Object(PageQuery), response: responses({ 200: pageOf(Objection) }),
      description: 'Every participant; filedBy only for the alliance, the operator and the objector.',
    },
  }, async (req) => svc.listObjections(ctx, who(req), req.params.id, req.query));

  app.post('/v1/rounds/:id/objections/:oid/decision', {
    onRequest: roundAlliance,
    schema: {
      tags, params: ObjectionParams, body: ObjectionDecisionInput, response: responses({ 200: Objection }),
      description: 'Once per objection (409 invalid-state after); upheld makes the bid ineligible (objection_upheld) and evaluates the item again.',
    },
  }, async (req) => svc.decideObjection(ctx, who(req), req.params.id, req.params.oid, req.body));
};
