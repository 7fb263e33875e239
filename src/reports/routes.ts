import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { requireRole, who } from '../http/auth.js';
import { pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { roundAllianceOrOperator } from '../rounds/access.js';
import { Report, ReportAccepted, ReportInput, ReportQuery } from './schemas.js';
import { listReports, reportFile, requestReport, toReport, visibleReport } from './service.js';

const tags = ['reports'];

/** RFC 6266: an ASCII fallback and the UTF-8 name. */
const disposition = (filename: string) =>
  `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

export const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/rounds/:id/reports', {
    onRequest: roundAllianceOrOperator,
    schema: {
      tags, params: IdParam, body: ReportInput, response: responses({ 202: ReportAccepted }),
      description: 'Queues a report of the round (round_summary once it is opened, monitoring once it is awarded); poll the Location.',
    },
  }, async (req, reply) => {
    const r = await requestReport(ctx, who(req), req.params.id, req.body);
    reply.code(202).header('location', `/v1/reports/${r.id}`);
    return { id: r.id, status: 'queued' as const };
  });

  app.get('/v1/reports/:id', {
    schema: { tags, params: IdParam, description: 'The requesting organization and the operator only (404 for others).', response: responses({ 200: Report }) },
  }, async (req) => toReport(await visibleReport(ctx, who(req), req.params.id)));

  app.get('/v1/reports', {
    onRequest: async (req) => requireRole(who(req), 'alliance', 'operator'),
    schema: { tags, querystring: ReportQuery, description: "The caller's organization's reports (the operator: all), newest first.", response: responses({ 200: pageOf(Report) }) },
  }, async (req) => listReports(ctx, who(req), req.query));

  app.get('/v1/reports/:id/file', {
    schema: {
      tags, params: IdParam,
      description: 'The document: application/json, text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet or text/html, as an attachment. 409 until the report is done.',
      response: responses({ 200: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'the document' }) }),
    },
  }, async (req, reply) => {
    const f = await reportFile(ctx, who(req), req.params.id);
    reply.header('content-type', f.contentType).header('content-disposition', disposition(f.filename));
    // An html report opened in the browser: its inline styles and SVG, nothing else (it has no script and loads nothing).
    if (f.contentType.startsWith('text/html')) reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'");
    if (f.size !== null) reply.header('content-length', String(f.size));
    return reply.send(f.body);
  });
};
