import fp from 'fastify-plugin';
import type { FastifyRequest, RouteOptions } from 'fastify';
import { idempotencyHooks, isStream } from '../idempotency.js';
import { unsupportedMediaType } from '../problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes a streamed CSV or NDJSON body instead of JSON. */
    bulk?: boolean;
  }
}

type HookName = 'preValidation' | 'onSend';

function addRouteHook(route: RouteOptions, name: HookName, fn: unknown) {
  const current: unknown = route[name];
  const list = current === undefined ? [] : Array.isArray(current) ? current : [current];
  (route as Record<HookName, unknown>)[name] = [...list, fn];
}

/**
 * Hooks that only routes with a body need, attached to those routes alone (the
 * bid PUT is hot): JSON routes take JSON only (415), and POSTs honour
 * Idempotency-Key.
 */
export default fp(async function bodyHooks(app) {
  const idempotency = idempotencyHooks(app.ctx);
  const jsonOnly = async (req: FastifyRequest) => {
    if (req.body !== undefined && isStream(req.body)) throw unsupportedMediaType('This route takes application/json');
  };
  app.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method);
    if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH') && route.config?.bulk !== true) addRouteHook(route, 'preValidation', jsonOnly);
    if (methods.includes('POST')) {
      addRouteHook(route, 'preValidation', idempotency.preValidation);
      addRouteHook(route, 'onSend', idempotency.onSend);
    }
  });
}, { name: 'body-hooks', dependencies: ['context'] });
