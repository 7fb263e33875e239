/**
 * bull-board for operators (production mode: the BullMQ queues), at
 * /admin/queues: the report and transition queues, their jobs, retries and
 * failures. Behind the operator key, as a bearer token or, for a browser, as
 * the password of HTTP Basic credentials (any user name). Not part of the
 * API: hidden from the OpenAPI document.
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Problem } from '../problem.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

function keyOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!basic) return null;
  const text = Buffer.from(basic[1], 'base64').toString('utf8');
  return text.slice(text.indexOf(':') + 1);
}

export default fp(async function queueBoard(app) {
  const queues = app.ctx.jobs.bullQueues;
  if (!queues?.length) return;
  app.addHook('onRoute', (route) => {
    if (route.url === QUEUE_BOARD_PATH || route.url.startsWith(`${QUEUE_BOARD_PATH}/`)) {
      route.config = { ...route.config, ownAuth: true, ownCsp: true };
      route.schema = { ...route.schema, hide: true };
      const check = async (req: FastifyRequest, reply: FastifyReply) => {
        const key = keyOf(req);
        if (key !== null && app.auth.isMasterKey(key)) return;
        // Answered here: bull-board's own error handler would turn a thrown problem into a 500.
        const problem = new Problem(401, 'unauthorized', 'Unauthorized', 'The queue dashboard is for operators: the operator key as bearer token or Basic password');
        return reply.code(401).header('www-authenticate', 'Basic realm="jicai queues", charset="UTF-8"')
          .type('application/problem+json').send(problem.toJSON());
      };
      const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
      route.onRequest = [check, ...own];
    }
  });
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: adapter });
  await app.register(adapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
}, { name: 'queue-board', dependencies: ['context'] });
