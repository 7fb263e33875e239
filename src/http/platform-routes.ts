import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  db: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
  queue: Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('in-process')]),
});

export const platformRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    config: { public: true },
    schema: { tags: ['platform'], security: [], response: { 200: Health, 503: Health } },
  }, async (_req, reply) => {
    const { db, jobs } = app.ctx;
    const dbOk = await db.query('SELECT 1').then(() => true, () => false);
    const queueOk = await jobs.ping().then(() => true, () => false);
    const body = {
      status: dbOk && queueOk ? 'ok' as const : 'degraded' as const,
      db: dbOk ? 'ok' as const : 'down' as const,
      queue: jobs.kind === 'in-process' ? 'in-process' as const : queueOk ? 'ok' as const : 'down' as const,
    };
    return reply.code(dbOk && queueOk ? 200 : 503).send(body);
  });

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
};
