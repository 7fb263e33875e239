import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from './context.js';
import { makeAuthenticator } from './http/auth.js';
import { registerErrorHandling } from './http/errors.js';
import bodyHooks from './http/plugins/body-hooks.js';
import bodyParsers from './http/plugins/body-parsers.js';
import docs from './http/plugins/docs.js';
import requestLog from './http/plugins/request-log.js';
import validation from './http/plugins/validation.js';
import { platformRoutes } from './http/platform-routes.js';
import { organizationRoutes } from './organizations/routes.js';
import { catalogueRoutes } from './catalogue/routes.js';
import { roundRoutes } from './rounds/routes.js';
import { demandRoutes } from './demand/routes.js';
import { bidRoutes } from './bids/routes.js';
import { resultRoutes } from './results/routes.js';
import { auditRoutes } from './audit/routes.js';
import { ocdsRoutes } from './ocds/routes.js';

declare module 'fastify' {
  interface FastifyInstance { ctx: AppContext; auth: ReturnType<typeof makeAuthenticator> }
}

/** The process's services (database, clock, config, queue) and the authenticator, for every plugin. */
const context = fp(async (app, opts: { ctx: AppContext }) => {
  app.decorate('ctx', opts.ctx);
  app.decorate('auth', makeAuthenticator(opts.ctx));
  app.addHook('onRequest', app.auth.onRequest);
}, { name: 'context' });

/** The route plugins, one per domain module (each a typed FastifyPluginAsyncTypebox). */
export const ROUTES = [
  platformRoutes, organizationRoutes, catalogueRoutes, roundRoutes, demandRoutes, bidRoutes, resultRoutes, auditRoutes, ocdsRoutes,
];

export async function buildApp(ctx: AppContext, opts: { logger?: boolean | object } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? { level: ctx.config.logLevel },
    bodyLimit: ctx.config.bodyLimit,
    // One line per request, written by the request-log plugin; bodies are never logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Request ids let an operator match one request's log line to a user's report.
    genReqId: () => Math.random().toString(36).slice(2, 12),
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);
  await app.register(validation);
  await app.register(context, { ctx });
  await app.register(bodyParsers);
  await app.register(docs);
  await app.register(requestLog);
  await app.register(bodyHooks);
  for (const routes of ROUTES) await app.register(routes);
  return app;
}
