import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { openapiInfo, openapiServers, openapiTags } from '../../openapi-info.js';
import { ProblemSchema } from '../schemas.js';

/** The OpenAPI 3.1 document (served at /openapi.json, committed as openapi/openapi.json) and its browser at /docs. */
export default fp(async function docs(app) {
  app.addSchema(ProblemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: openapiInfo,
      servers: openapiServers,
      tags: openapiTags,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
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
