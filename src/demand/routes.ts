import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireRole, who } from '../http/auth.js';
import { bulkBody } from '../http/bulk.js';
import { PageQuery } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { onRound, roundAllianceOrOperator } from '../rounds/access.js';
import { visibleRound } from '../rounds/service.js';
import { DemandAggregate, DemandInput, DemandLine, DemandParams } from './schemas.js';
import * as svc from './service.js';

const tags = ['demand'];

export const demandRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.put('/v1/rounds/:id/demand/:itemCode', {
    onRequest: onRound((p) => requireRole(p, 'hospital')),
    schema: { tags, description: 'a hospital reports its yearly demand for an item; demand state only', params: DemandParams, body: DemandInput, response: responses({ 200: DemandLine }) },
  }, async (req) => svc.putDemand(ctx, who(req), req.params.id, req.params.itemCode, req.body));

  app.post('/v1/rounds/:id/demand/bulk', {
    config: { bulk: true },
    bodyLimit: ctx.config.bulkBodyLimit,
    onRequest: roundAllianceOrOperator,
    schema: {
      tags, params: IdParam, consumes: ['text/csv', 'application/x-ndjson'],
      description: 'Columns hospitalId or hospitalExternalId, itemCode, quantity, preferredManufacturerId (optional). All-or-nothing; replaces the given (hospital, item) keys; errors name lines (CSV header = line 1).',
      response: responses({ 200: Type.Object({ rows: Type.Integer() }) }),
    },
  }, async (req) => svc.bulkDemand(ctx, who(req), req.params.id, bulkBody(req)));

  app.get('/v1/rounds/:id/demand', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam, querystring: Type.Object(PageQuery),
      description: 'Hospitals: their own lines. Alliance, operator and manufacturers: per item {itemCode, hospitals, quantity}.',
      response: responses({ 200: Type.Object({ data: Type.Array(Type.Union([DemandLine, DemandAggregate])), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (req) => {
    const p = who(req);
    return svc.listDemand(ctx, p, await visibleRound(ctx.db, p, req.params.id), req.query);
  });
};
