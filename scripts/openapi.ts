/** Writes openapi/openapi.json: the document the server serves at /openapi.json. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { createDb } from '../src/db/client.js';
import { noJobs } from '../src/http/health.js';
import { ephemeralOpeningKeys as openingKeys } from '../src/config.js';

export async function servedDocument(): Promise<unknown> {
  const db = await createDb({ databaseUrl: null });
  const app = await buildApp({
    db, clock: systemClock, jobs: noJobs(),
    config: {
      port: 0, host: '127.0.0.1', dataDir: '.', logLevel: 'silent', databaseUrl: null, redisUrl: null, queuePrefix: 'jicai', jobBackoffMs: 1000,
      masterKey: 'openapi-generation-only-key', ...openingKeys(), bodyLimit: 1024 * 1024,
      bulkBodyLimit: 512 * 1024 * 1024, generatedMasterKey: false,
      maxUploadRows: 5_000_000, rateLimit: { max: 20_000, windowMs: 60_000 }, requestTimeoutMs: 300_000, trustProxy: false,
    },
  }, { logger: false });
  await app.ready();
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  await app.close();
  await db.close();
  return JSON.parse(res.body);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const doc = await servedDocument();
  mkdirSync('openapi', { recursive: true });
  writeFileSync('openapi/openapi.json', JSON.stringify(doc, null, 2) + '\n');
  console.log('wrote openapi/openapi.json');
}
