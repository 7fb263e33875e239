import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Problem, notFound, problemLanguage, tooLarge, unsupportedMediaType, validation } from './problem.js';

export const PROBLEM_JSON = 'application/problem+json';

const varyOn = (current: unknown) => (current ? `${String(current)}, Accept-Language` : 'Accept-Language');

/** Answers a problem, its title and detail in the language the request asks for (Accept-Language: zh-CN, else English). */
export function sendProblem(reply: FastifyReply, p: Problem) {
  const lang = problemLanguage(reply.request.headers['accept-language']);
  return reply.code(p.status).type(PROBLEM_JSON).header('content-language', lang).header('vary', varyOn(reply.getHeader('vary'))).send(p.toJSON(lang));
}

/**
 * The database (or the network to it) is gone for the moment: connection
 * refused or reset, the server shutting down or starting (57P01–57P03), a
 * connection exception (class 08), a connection the driver closed. The
 * request failed and wrote nothing; the same request can be sent again.
 */
export function isUnavailable(err: unknown): boolean {
  // drizzle wraps the driver's error (DrizzleQueryError, the driver's in `cause`): look down the chain.
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (UNAVAILABLE.includes(code) || code.startsWith('08')) return true;
  }
  return false;
}
const UNAVAILABLE = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'CONNECTION_CLOSED', 'CONNECTION_ENDED',
  'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03'];

/** Seconds a client should wait before sending a refused request again. */
export const RETRY_AFTER_S = 2;

/** Maps every error, Fastify's own included, to problem+json; never a stack trace or SQL. */
export function toProblem(err: FastifyError | Error): Problem {
  if (err instanceof Problem) return err;
  if (isUnavailable(err)) return new Problem(503, 'unavailable', 'Service unavailable', 'The database is not reachable at the moment; nothing was written, send the request again');
  const e = err as FastifyError;
  if (e.validation) {
    const where = e.validationContext && e.validationContext !== 'body' ? `${e.validationContext}: ` : '';
    return validation(`The request ${e.validationContext ?? 'body'} is invalid`, e.validation.map((v) => {
      const params = v.params as { missingProperty?: string; additionalProperty?: string } | undefined;
      const missing = params?.missingProperty;
      const extra = params?.additionalProperty;
      const path = v.instancePath + (missing ? `/${missing}` : '') + (extra ? `/${extra}` : '');
      return { path: path || '/', message: where + (extra ? `unknown field ${extra}` : v.message ?? 'invalid') };
    }));
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return tooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return unsupportedMediaType('Send application/json (or text/csv, application/x-ndjson to bulk routes)');
  }
  if (e.statusCode === 413) return tooLarge();
  if (e.statusCode === 415) return unsupportedMediaType(e.message);
  if (e.statusCode === 429) return new Problem(429, 'rate-limited', 'Too many requests', 'Slow down and retry later');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return validation(e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The JSON body is empty' : 'The request body is not valid JSON');
  }
  return new Problem(500, 'internal', 'Internal error', 'The server failed to handle this request');
}

export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const p = toProblem(err);
    if (p.status === 503) {
      req.log.warn({ err: { message: err.message, code: err.code } }, 'dependency unavailable');
      reply.header('retry-after', String(RETRY_AFTER_S));
    } else if (p.status >= 500) req.log.error({ err: { message: err.message, code: err.code, stack: err.stack } }, 'request failed');
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, notFound(`Route ${req.method} ${req.url.split('?')[0]}`)));
}

/**
 * Errors Node meets before a request reaches Fastify (a request that did not
 * arrive in time, headers too large, unparseable HTTP): answered as
 * problem+json like every other error, then the connection is closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: import('node:net').Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const p = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? new Problem(408, 'request-timeout', 'Request timeout', 'The request did not arrive in time')
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? new Problem(431, 'headers-too-large', 'Request headers too large', 'The request headers are too large')
      : new Problem(400, 'validation', 'Malformed request', 'The request is not valid HTTP');
  const body = JSON.stringify(p.toJSON());
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${p.status} ${p.title}\r\nContent-Type: ${PROBLEM_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
