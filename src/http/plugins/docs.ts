import fp from 'fastify-plugin';
import type { FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { openapiInfo, openapiServers, openapiTags } from '../../openapi-info.js';
import { ProblemSchema } from '../schemas.js';

const ACCEPT_LANGUAGE = { type: 'string', description: '`zh-CN` (any `zh` tag preferred over English): problem `title` and `detail` in Chinese; English otherwise' };
const IDEMPOTENCY_KEY = {
  type: 'string', minLength: 1, maxLength: 255,
  description: 'Makes a retry safe: the same key and body within 24 hours replay the first answer (scoped to the caller\'s organization)',
};

type RouteSchema = FastifySchema & { hide?: boolean };

function withDocumentedHeaders(schema: RouteSchema | undefined, methods: string[]): RouteSchema {
  const s: RouteSchema = schema ?? {};
  if (s.hide) return s;
  const own = (s.headers ?? {}) as { properties?: Record<string, unknown> };
  const properties: Record<string, unknown> = { ...(own.properties ?? {}), 'accept-language': ACCEPT_LANGUAGE };
  if (methods.includes('POST')) properties['idempotency-key'] = IDEMPOTENCY_KEY;
  return { ...s, headers: { ...own, type: 'object', properties } };
}

/** The OpenAPI 3.1 document (served at /openapi.json, committed as openapi/openapi.json) and its browser at /docs. */
export default fp(async function docs(app) {
  if (!app.getSchema('Problem')) app.addSchema(ProblemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: openapiInfo,
      servers: openapiServers,
      tags: openapiTags,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Headers the API reads outside the route schemas (not validated by them), shown in the document only.
    transform: ({ schema, url, route }) => ({ schema: url === '/health' ? schema : withDocumentedHeaders(schema, ([] as string[]).concat(route.method)), url }),
    // Shared schemas (Problem) become named components instead of copies in every route.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  // The documentation is for anyone, like /openapi.json.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, public: true, ownCsp: true };
  });
  // The docs UI sets a CSP of its own that lets its scripts run.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}, { name: 'docs' });
