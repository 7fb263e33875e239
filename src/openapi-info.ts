import { TAGS } from './http/operations.js';

export const openapiInfo = {
  title: 'jicai — volume-based procurement API',
  version: '1.0.0',
  // The repository names no licence or public address yet: these say so rather than invent one (package.json is private).
  contact: { name: 'jicai platform operator (the organization running this deployment)' },
  license: { name: 'Proprietary: all rights reserved by the platform operator', identifier: 'LicenseRef-jicai-proprietary' },
  description: [
    'Volume-based procurement (集中带量采购) of medicines and medical consumables.',
    '',
    'Conventions: Bearer tokens; errors are RFC 9457 application/problem+json whose `type` ends in a slug',
    '(`/problems/<slug>`); money is a decimal string with 4 places, rounded half up; quantities are integers;',
    'lists are `{data, nextCursor}` with `?limit=` (default 100, max 1000) and `?cursor=`.',
    'With `Accept-Language: zh-CN` a problem\'s `title` and `detail` are in Chinese (`type`, `status`, `errors` unchanged).',
    'Every operation lists the 4xx answers it can give; checks run in the order 401, 404, 403, 400/413/415, 409, 422.',
    'A typed client: `npm run client` (openapi-typescript) and src/client (openapi-fetch); see docs/integrators.md.',
    '',
    'Choices this implementation makes where the contract leaves one:',
    '- 400 `validation` for a body that breaks the JSON schema or is not JSON; 422 `validation` for rows of a bulk',
    '  upload that are well-formed but name unknown hospitals or items; 413 `payload-too-large`; 415 `unsupported-media-type`.',
    '- Idempotency-Key applies to JSON POST bodies; streamed bulk uploads are not buffered for it (their writes',
    '  replace keyed rows, so a repeated demand upload is harmless; a repeated organizations upload fails on externalId).',
    '- Idempotency-Key: the key is claimed when the request starts; a second request with the same key and body',
    '  while the first is still running gets 409 `idempotency-in-progress` (retry it); a 5xx frees the key.',
    '- The operator acts with the master key and is no organization; tokens are issued to organizations.',
  ].join('\n'),
};

/** Where the API answers: the default of `npm start` (PORT, HOST); a deployment serves the same paths under its own origin. */
export const openapiServers = [{ url: 'http://127.0.0.1:3000', description: 'local: npm start (embedded mode)' }];

export const openapiTags = TAGS.map((t) => ({ ...t }));
