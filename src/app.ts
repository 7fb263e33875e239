import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from './context.js';
import { makeAuthenticator } from './http/auth.js';
import { registerErrorHandling } from './http/errors.js';
import { idempotencyHooks, isStream } from './http/idempotency.js';
import { unsupportedMediaType } from './http/problem.js';
import { platformRoutes } from './http/platform-routes.js';
import { organizationRoutes } from './organizations/routes.js';
import { catalogueRoutes } from './catalogue/routes.js';
import { roundRoutes } from './rounds/routes.js';
import { demandRoutes } from './demand/routes.js';
import { bidRoutes } from './bids/routes.js';
import { resultRoutes } from './results/routes.js';
import { auditRoutes } from './audit/routes.js';
import { ocdsRoutes } from './ocds/routes.js';
import { openapiInfo } from './openapi-info.js';
import { ProblemSchema } from './http/schemas.js';

declare module 'fastify' {
  interface FastifyInstance { ctx: AppContext; auth: ReturnType<typeof makeAuthenticator> }
  interface FastifyContextConfig { bulk?: boolean }
}

export const BULK_TYPES = ['text/csv', 'application/x-ndjson'];

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Bodies are validated strictly (no coercion: "5" is not a quantity); query strings and params are coerced. */
function validators() {
  const body = addFormats(new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: false, strict: false }));
  const query = addFormats(new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: 'array', strict: false }));
  return ({ schema, httpPart }: { schema: any; httpPart?: string }) =>
    (httpPart === 'body' ? body : query).compile(schema);
}

export async function buildApp(ctx: AppContext, opts: { logger?: boolean | object } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? { level: ctx.config.logLevel },
    bodyLimit: ctx.config.bodyLimit,
    // One line per request, written in onResponse below; bodies are never logged.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: {} },
    // Request ids let an operator match one request's log line to a user's report.
    genReqId: () => Math.random().toString(36).slice(2, 12),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('ctx', ctx);
  app.addSchema(ProblemSchema);
  app.decorate('auth', makeAuthenticator(ctx));
  app.setValidatorCompiler(validators());
  registerErrorHandling(app);

  // An empty JSON body (e.g. POST /publish) is no body, not an error.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === "") return done(null, undefined);
    return jsonParser(req, String(body), done);
  });
  // JSON routes take JSON only: no text/plain strings (415, not a 400 on the schema).
  app.removeContentTypeParser('text/plain');
  // Bulk bodies are streamed to the service, never buffered whole.
  app.addContentTypeParser(BULK_TYPES, (_req, payload, done) => done(null, payload));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: openapiInfo,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Shared schemas (Problem) become named components instead of copies in every route.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  // The documentation is for anyone, like /openapi.json.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...(route.config as object), public: true } as any;
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onResponse', async (req, reply) => {
    // Pino drops the line below warn level anyway; skip building it (bids are a hot path).
    if ((req.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') === false) return;
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, actor: req.principal?.orgId ?? req.principal?.role }, 'request');
  });
  app.addHook('onRequest', app.auth.onRequest);
  // Hooks that only routes with a body need are attached to those routes alone (the bid PUT is hot).
  const idempotency = idempotencyHooks(ctx);
  const jsonOnly = async (req: FastifyRequest) => {
    // JSON routes take JSON only; bulk routes take CSV or NDJSON only.
    if (req.body !== undefined && isStream(req.body)) throw unsupportedMediaType('This route takes application/json');
  };
  app.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method as string | string[]);
    const add = (name: 'preValidation' | 'onSend', fn: unknown) => {
      const current = (route as any)[name];
      (route as any)[name] = [...(current === undefined ? [] : Array.isArray(current) ? current : [current]), fn];
    };
    if (methods.some((m) => ['POST', 'PUT', 'PATCH'].includes(m)) && (route.config as any)?.bulk !== true) add('preValidation', jsonOnly);
    if (methods.includes('POST')) {
      add('preValidation', idempotency.preValidation);
      add('onSend', idempotency.onSend);
    }
  });

  await app.register(platformRoutes);
  await app.register(organizationRoutes);
  await app.register(catalogueRoutes);
  await app.register(roundRoutes);
  await app.register(demandRoutes);
  await app.register(bidRoutes);
  await app.register(resultRoutes);
  await app.register(auditRoutes);
  await app.register(ocdsRoutes);
  return app;
}
