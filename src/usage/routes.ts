import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireRole, who } from '../http/auth.js';
import { bulkBody, type BulkFormat } from '../http/bulk.js';
import { IdParam, responses } from '../http/schemas.js';
import { UploadResult } from '../monitoring/schemas.js';
import { onRound } from '../rounds/access.js';
import { requireOwnAlliance } from '../rounds/service.js';
import * as svc from './service.js';

const tags = ['monitoring'];
const FORMATS: BulkFormat[] = ['json', 'csv', 'ndjson'];
const consumes = ['application/json', 'text/csv', 'application/x-ndjson'];

export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  // These routes stream a JSON array too (src/http/bulk.ts reads it element by element), so JSON is not parsed whole here.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (_req, payload, done) => done(null, payload));

  app.put('/v1/rounds/:id/usage', {
    config: { bulk: true },
    bodyLimit: ctx.config.bulkBodyLimit,
    onRequest: onRound((p, r) => {
      requireRole(p, 'hospital', 'alliance', 'operator');
      if (p.role === 'alliance') requireOwnAlliance(p, r);
    }),
    schema: {
      tags, params: IdParam, consumes,
      description: `Usage per month (YYYY-MM inside the contract period, not after the current month), item and product (absent: bought off
the platform): orderedQuantity, receivedQuantity (integers ≥ 0, reference units), amount (decimal string, ≤ 4 places). A JSON array,
CSV (header row) or NDJSON of {hospitalId?, period, itemCode, productId?, orderedQuantity, receivedQuantity, amount}. Hospitals report
their own rows (hospitalId optional); the alliance and the operator any hospital of the round. Upserts the given (hospital, period,
item, product) keys only; all-or-nothing, errors name lines (CSV header = line 1) or paths (/0 …). Awarded rounds only (409 invalid-state).`,
      response: responses({ 200: UploadResult }),
    },
  }, async (req) => svc.putUsage(ctx, who(req), req.params.id, bulkBody(req, FORMATS)));

  app.put('/v1/rounds/:id/deliveries', {
    config: { bulk: true },
    bodyLimit: ctx.config.bulkBodyLimit,
    onRequest: onRound((p) => requireRole(p, 'manufacturer')),
    schema: {
      tags, params: IdParam, consumes,
      description: `A manufacturer's shipped quantities per hospital, month and item, for its own agreements only: {hospitalId, period,
itemCode, shippedQuantity} rows as a JSON array, CSV or NDJSON. Upserts the given keys only; all-or-nothing. Awarded rounds only.`,
      response: responses({ 200: UploadResult }),
    },
  }, async (req) => svc.putDeliveries(ctx, who(req), req.params.id, bulkBody(req, FORMATS)));
};
