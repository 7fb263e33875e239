import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access, requireRole, roles, who } from '../http/auth.js';
import { bulkBody } from '../http/bulk.js';
import { pageOf } from '../http/pagination.js';
import { IdParam, NoContent, responses } from '../http/schemas.js';
import {
  BulkCreated, Organization, OrganizationInput, OrganizationQuery, Suspension, SuspensionInput, TokenCreated, TokenInput,
} from './schemas.js';
import * as svc from './service.js';

const tags = ['organizations'];

export const organizationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  // 404 for an organization the caller may not see, then 403 for a non-operator.
  const operatorOnOrg = access(async (p, req) => {
    await svc.getOrganization(ctx.db, p, (req.params as { id: string }).id);
    requireRole(p, 'operator');
  });

  app.post('/v1/organizations', {
    onRequest: roles('operator'),
    schema: { tags, body: OrganizationInput, response: responses({ 201: Organization }) },
  }, async (req, reply) => {
    const org = await svc.createOrganization(ctx, who(req), req.body);
    return reply.code(201).header('location', `/v1/organizations/${org.id}`).send(org);
  });

  app.post('/v1/organizations/bulk', {
    config: { bulk: true },
    onRequest: roles('operator'),
    bodyLimit: ctx.config.bulkBodyLimit,
    schema: {
      tags, description: 'CSV (header row; regionCodes separated by ";") or NDJSON of organizations; all-or-nothing.',
      consumes: ['text/csv', 'application/x-ndjson'], response: responses({ 201: BulkCreated }),
    },
  }, async (req, reply) => reply.code(201).send(await svc.bulkCreateOrganizations(ctx, who(req), bulkBody(req))));

  app.get('/v1/organizations', {
    schema: {
      tags, description: 'The operator sees every organization; any other caller sees itself.',
      querystring: OrganizationQuery, response: responses({ 200: pageOf(Organization) }),
    },
  }, async (req) => svc.listOrganizations(ctx, who(req), req.query));

  app.get('/v1/organizations/:id', {
    schema: { tags, params: IdParam, response: responses({ 200: Organization }) },
  }, async (req) => svc.getOrganization(ctx.db, who(req), req.params.id));

  app.post('/v1/organizations/:id/tokens', {
    onRequest: operatorOnOrg,
    // The token is shown once: an Idempotency-Key replay answers the same 201 without `token` (it is stored nowhere).
    config: { secretFields: ['token'] },
    schema: {
      tags, params: IdParam, body: TokenInput, response: responses({ 201: TokenCreated }),
      description: 'The token is shown once and stored only as its sha256: a replay of this request (Idempotency-Key) answers the same 201 without `token`.',
    },
  }, async (req, reply) => reply.code(201).send(await svc.createToken(ctx, who(req), req.params.id, req.body.name)));

  app.delete('/v1/tokens/:id', {
    schema: { tags, params: IdParam, response: responses({ 204: NoContent }) },
  }, async (req, reply) => {
    await svc.revokeToken(ctx, who(req), req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/v1/organizations/:id/suspensions', {
    onRequest: operatorOnOrg,
    schema: { tags, params: IdParam, body: SuspensionInput, response: responses({ 201: Suspension }) },
  }, async (req, reply) => reply.code(201).send(await svc.createSuspension(ctx, who(req), req.params.id, req.body)));
};
