import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { onRound, roundAlliance, roundRoles } from '../rounds/access.js';
import { AnswerInput, Enquiry, EnquiryInput, EnquiryParams } from './schemas.js';
import * as svc from './service.js';

const tags = ['enquiries'];

export const enquiryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/rounds/:id/enquiries', {
    onRequest: roundRoles('manufacturer'),
    schema: {
      tags, params: IdParam, body: EnquiryInput, response: responses({ 201: Enquiry }),
      description: 'A manufacturer asks about the round or one of its items: demand or bidding, before bidClosesAt (409 invalid-state otherwise).',
    },
  }, async (req, reply) => reply.code(201).send(await svc.askEnquiry(ctx, who(req), req.params.id, req.body)));

  app.put('/v1/rounds/:id/enquiries/:eid/answer', {
    onRequest: roundAlliance,
    schema: {
      tags, params: EnquiryParams, body: AnswerInput, response: responses({ 200: Enquiry }),
      description: 'The alliance answers, or corrects its answer, until bidClosesAt.',
    },
  }, async (req) => svc.answerEnquiry(ctx, who(req), req.params.id, req.params.eid, req.body.answer));

  app.get('/v1/rounds/:id/enquiries', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam, querystring: Type.Object(PageQuery), response: responses({ 200: pageOf(Enquiry) }),
      description: 'Every participant; askedBy only for the alliance, the operator and the asker.',
    },
  }, async (req) => svc.listEnquiries(ctx, who(req), req.params.id, req.query));
};
