import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import helmet from '@fastify/helmet';
import { Redis } from 'ioredis';
import { Problem } from '../problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route whose own answer sets its Content-Security-Policy (the docs UI, HTML reports). */
    ownCsp?: boolean;
  }
}

/**
 * Limits and headers every answer gets (issue: reliability and security):
 * - a rate limit per token (per client address without one): shared through
 *   Redis in production, so it holds across API instances, in memory in
 *   embedded mode; 429 problem+json `rate-limited` with Retry-After. If Redis
 *   is down the limit is skipped rather than the request refused.
 * - security headers (helmet): a strict CSP for JSON answers (nothing to run);
 *   routes that serve pages set their own.
 */
export default fp(async function limits(app) {
  const { config } = app.ctx;
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  redis?.on('error', () => {});
  app.addHook('onClose', async () => { redis?.disconnect(); });
  await app.register(rateLimit, {
    // Not per route: one hook for every request, before authentication, so that bad tokens are counted too.
    global: false,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    redis,
    nameSpace: `${config.queuePrefix}:rate:`,
    skipOnError: true,
    // The token's hash (never the token) names the bucket; the health probe is not limited.
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return auth ? 't:' + createHash('sha256').update(auth).digest('base64url').slice(0, 22) : 'ip:' + req.ip;
    },
    allowList: (req) => req.routeOptions.url === '/health',
    errorResponseBuilder: (_req, ctx) => new Problem(429, 'rate-limited', 'Too many requests',
      `At most ${ctx.max} requests per ${Math.round(config.rateLimit.windowMs / 1000)} s per token; retry after ${ctx.after}`),
  });
  app.addHook('onRequest', app.rateLimit());
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    // The API is called cross-origin by integrators' front ends through their own servers; no embedding.
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  // Pages (the docs UI, HTML reports) set their own policy.
  app.addHook('onSend', async (req, reply) => {
    if (req.routeOptions.config?.ownCsp) reply.removeHeader('content-security-policy');
  });
}, { name: 'limits', dependencies: ['context'] });
