import fp from 'fastify-plugin';
import { validation } from '../problem.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../json-depth.js';

export const BULK_TYPES = ['text/csv', 'application/x-ndjson'];

/**
 * JSON bodies: an empty body is no body (POST /publish), nesting deeper than
 * MAX_JSON_DEPTH is refused before anything recursive runs on it, and
 * text/plain is not parsed (415, not a 400 on the schema). Bulk bodies are
 * streamed to the service, never buffered whole.
 */
export default fp(async function bodyParsers(app) {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(validation(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, [{ path: '/', message: 'too deeply nested' }]), undefined);
    }
    return jsonParser(req, text, done);
  });
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(BULK_TYPES, (_req, payload, done) => done(null, payload));
}, { name: 'body-parsers' });
