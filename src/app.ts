import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from './context.js';
import { loggerOptions } from './logging.js';
import { makeAuthenticator } from './http/auth.js';
import { clientErrorHandler, registerErrorHandling } from './http/errors.js';
import bodyHooks from './http/plugins/body-hooks.js';
import bodyParsers from './http/plugins/body-parsers.js';
import docs from './http/plugins/docs.js';
import queueBoard from './http/plugins/queue-board.js';
import limits from './http/plugins/limits.js';
import operations from './http/plugins/operations.js';
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
import { objectionRoutes } from './objections/routes.js';
import { enquiryRoutes } from './enquiries/routes.js';
import { simulationRoutes } from './simulations/routes.js';
import { monitoringRoutes } from './monitoring/routes.js';
import { usageRoutes } from './usage/routes.js';
import { reportRoutes } from './reports/routes.js';

declare module 'fastify' {
  interface FastifyInstance { ctx: AppContext; auth: ReturnType<typeof makeAuthenticator> }
}

/** The process's services (database, clock, config, queue) and the authenticator, for every plugin. */
const context = fp(async (app, opts: { ctx: AppContext }) => {
  app.decorate('ctx', opts.ctx);
  app.decorate('auth', makeAuthenticator(opts.ctx));
}, { name: 'context' });

/** Every request is authenticated first thing (after the rate limit, which counts bad tokens too). */
const authentication = fp(async (app) => { app.addHook('onRequest', app.auth.onRequest); }, { name: 'authentication', dependencies: ['context'] });

/** The route plugins, one per domain module (each a typed FastifyPluginAsyncTypebox). */
export const ROUTES = [
  platformRoutes, organizationRoutes, catalogueRoutes, roundRoutes, demandRoutes, bidRoutes, resultRoutes, auditRoutes, ocdsRoutes,
  objectionRoutes, enquiryRoutes, simulationRoutes,
  monitoringRoutes, usageRoutes, reportRoutes,
];

export async function buildApp(ctx: AppContext, opts: { logger?: boolean | object } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(ctx.config.logLevel),
    bodyLimit: ctx.config.bodyLimit,
    clientErrorHandler,
    // A request must arrive whole in time (a slow body holds a connection, not the server); Node checks it on an
    // interval, set to a tenth of the deadline so a late request is answered about when it is due.
    serverFactory: (handler) => createServer({
      requestTimeout: ctx.config.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.round(ctx.config.requestTimeoutMs / 10))),
      // Fastify's own default (a custom server does not get it): Node's 5 s closes idle keep-alive connections that
      // load balancers and clients still hold (their next request meets "other side closed").
      keepAliveTimeout: 72_000,
    }, handler),
    // Behind a load balancer the client's address is in X-Forwarded-For (the rate limit of clients without a token uses it).
    trustProxy: ctx.config.trustProxy,
    // One line per request, written by the request-log plugin; bodies are never logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Request ids let an operator match one request's log line to a user's report.
    genReqId: () => Math.random().toString(36).slice(2, 12),
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);
  await app.register(validation);
  await app.register(context, { ctx });
  await app.register(limits);
  await app.register(authentication);
  await app.register(bodyParsers);
  await app.register(operations);
  await app.register(docs);
  await app.register(requestLog);
  await app.register(bodyHooks);
  for (const routes of ROUTES) await app.register(routes);
  await app.register(queueBoard);
  return app;
}
