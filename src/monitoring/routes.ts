import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { roles, who } from '../http/auth.js';
import { IdParam, responses, sendJsonText } from '../http/schemas.js';
import { onRound } from '../rounds/access.js';
import { visibleRound } from '../rounds/service.js';
import { priceHistory } from './price-history.js';
import { AlertPage, AlertQuery, Monitoring, MonitoringQuery, PriceHistory, PriceHistoryQuery } from './schemas.js';
import * as svc from './service.js';

const tags = ['monitoring'];

export const monitoringRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.get('/v1/rounds/:id/monitoring', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam, querystring: MonitoringQuery,
      description: `Monitoring of the contract period at asOf (default: the current UTC month), over months ≤ asOf, grouped by item,
hospital, region (province) or manufacturer. Hospitals see their own agreements, manufacturers those they supply, the alliance
and the operator all. Ratios from the group's sums at full precision, 4 places half up; paidUnitPrice and actualDrop only by item.
409 invalid-state before award.`,
      response: responses({ 200: Monitoring }),
    },
  }, async (req, reply) => {
    const p = who(req);
    const r = await visibleRound(ctx.db, p, req.params.id);
    // The query's own fields only: a parameter outside the schema (hospitalPath, a test seam) must not reach the service.
    const m = await svc.getMonitoringJson(ctx.db, p, r, { asOf: req.query.asOf, groupBy: req.query.groupBy, now: ctx.clock.now() });
    // By hospital a national round answers 50,000 rows (14 MB): PostgreSQL writes each row's JSON (row_to_json, in the
    // schema's field order), and the body is sent as written, past the schema's serializer, which tested each nullable
    // figure against its anyOf (~250 ms). test/api/monitoring.test.ts checks the body against the schema.
    return sendJsonText(reply, svc.monitoringBody(m));
  });

  app.get('/v1/rounds/:id/alerts', {
    onRequest: onRound(),
    schema: {
      tags, params: IdParam, querystring: AlertQuery,
      description: `Alerts at asOf (thresholds from rules.monitoring), ordered by type (behind_schedule, delivery_mismatch,
non_winning_share, price_above_award, supply_shortfall), then hospital, item and month; per-month types carry period. Scoped as /monitoring.`,
      response: responses({ 200: AlertPage }),
    },
  }, async (req) => {
    const p = who(req);
    const r = await visibleRound(ctx.db, p, req.params.id);
    const { asOf, type, limit, cursor } = req.query;
    return svc.listAlerts(ctx.db, p, r, { asOf, type, limit, cursor, now: ctx.clock.now() });
  });

  app.get('/v1/price-history', {
    onRequest: roles('operator', 'alliance', 'hospital', 'manufacturer'),
    schema: {
      tags, querystring: PriceHistoryQuery,
      description: 'Awarded and closed rounds holding an item of this generic name and dosage form (trimmed, case-insensitive), earliest award first, and per round item and month with usage the paid unit price of the agreements\' own products.',
      response: responses({ 200: PriceHistory }),
    },
  }, async (req) => priceHistory(ctx.db, req.query.genericName, req.query.dosageForm));
};
