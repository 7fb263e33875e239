import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route touches sealed bids: its log line names neither the caller nor the resource. */
    sealed?: boolean;
  }
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const infoEnabled = (level: string) => (LEVELS[level] ?? 30) <= 30;

/**
 * One line per request, written when it ends; bodies are never logged. The
 * line names the route template, not the URL, so ids in paths (a bidder's
 * item) stay out of the log; sealed routes leave out the actor, and a
 * manufacturer is logged by its role alone on every route: which
 * manufacturers are active while a round is bidding is itself sealed.
 */
export default fp(async function requestLog(app) {
  app.addHook('onResponse', async (req, reply) => {
    // Pino drops the line below info anyway; skip building it (bids are a hot path).
    if (!infoEnabled(req.log.level)) return;
    const sealed = req.routeOptions.config?.sealed === true;
    req.log.info({
      method: req.method, route: req.routeOptions.url ?? 'unknown', status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...(sealed ? {} : { actor: req.principal?.role === 'manufacturer' ? 'manufacturer' : req.principal?.orgId ?? req.principal?.role }),
    }, 'request');
  });
}, { name: 'request-log' });
