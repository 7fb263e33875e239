import { join } from 'node:path';
import { buildApp } from './app.js';
import { systemClock } from './clock.js';
import { loadConfig } from './config.js';
import { createDb } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { sealAll } from './audit/service.js';
import { bidWriter } from './bids/writer.js';
import { jobSide } from '../jobs/index.js';
import { exitOnStartupFailure } from './startup.js';

// A configuration error or an unreachable database: one line and a non-zero exit, no stack trace.
const fail = exitOnStartupFailure('jicai');
const config = (() => { try { return loadConfig(); } catch (err) { return fail(err); } })();
// An API process relaying to a worker (REDIS_URL) holds the opening public key alone (SECURITY.md "Key custody").
if (config.redisUrl && config.openingPrivateKey) {
  console.error('jicai: JICAI_OPENING_PRIVATE_KEY is for the worker only (`npm run worker`); an API process with REDIS_URL runs with JICAI_OPENING_PUBLIC_KEY alone');
  process.exit(1);
}
// Said first, before the database opens: who holds the opening key is the first thing an operator must know.
if (config.openingKeyInDataDir) {
  console.warn(`\n  WARNING: embedded mode keeps the opening private key in ${join(config.dataDir, 'opening-key.pem')}, beside the database:\n`
    + '  a copy of the data directory reads every sealed bid. For trials only; see SECURITY.md for production.\n');
} else if (config.openingPrivateKey) {
  console.warn('\n  WARNING: this process holds the opening private key and accepts bids (no REDIS_URL: jobs run here). See SECURITY.md.\n');
}

const db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? null : join(config.dataDir, 'pglite') }).catch(fail);
await runMigrations(db).catch(fail);
// Embedded: the processors run here. With Redis: this process only relays its jobs; `npm run worker` runs them,
// and the processors (with the report writers they load) are not even loaded: ~10 MiB of an idle API (141 → 130 MiB).
const processors = config.redisUrl ? null : (await import('../jobs/processors/index.js')).processors;
const jobs = jobSide({ redisUrl: config.redisUrl, prefix: config.queuePrefix, backoffMs: config.jobBackoffMs, processors });
const ctx = { db, config, clock: systemClock, jobs };
const app = await buildApp(ctx);
await jobs.start(ctx);

if (config.generatedMasterKey) {
  // Printed once, on the first start of an embedded installation; it is also in data/master-key.
  console.log(`\n  jicai operator key (JICAI_MASTER_KEY): ${config.masterKey}\n  saved in ${join(config.dataDir, 'master-key')}\n`);
}

// Bid events are queued off the hot path; link them into their chains twice a second.
const sealer = setInterval(() => { sealAll(db).catch((err) => app.log.error({ err: err.message }, 'audit sealing failed')); }, 500);
sealer.unref();

const shutdown = async () => {
  clearInterval(sealer);
  await app.close();
  await bidWriter(db).settled();
  await jobs.close();
  await db.close();
  process.exit(0);
};
// A failed shutdown is logged and exits non-zero instead of leaving an unhandled rejection.
const stop = () => { shutdown().catch((err: Error) => { app.log.error({ err: err.message }, 'shutdown failed'); process.exit(1); }); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

await app.listen({ port: config.port, host: config.host }).catch(fail);
app.log.info(`jicai on http://${config.host}:${config.port} (${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite in ' + config.dataDir})`);
