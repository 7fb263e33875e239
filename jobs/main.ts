/**
 * `npm run worker`: runs the platform's jobs in production (DATABASE_URL and
 * REDIS_URL): the outbox relay and a BullMQ worker per job kind. Run as many
 * as the load needs, on any machine. SIGTERM lets the active jobs finish
 * (within JICAI_WORKER_SHUTDOWN_MS, default 30 s; after that the process
 * exits and BullMQ hands the job to another worker), then exits.
 */
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/clock.js';
import { createDb } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { jobSide } from './index.js';
import { processors as platformProcessors } from './processors/index.js';
import { testOnlyProcessors } from './processors/test-only.js';
import { exitOnStartupFailure } from '../src/startup.js';

// A configuration error or an unreachable database: one line and a non-zero exit, no stack trace.
const fail = exitOnStartupFailure('jicai worker');
const config = (() => { try { return loadConfig(); } catch (err) { return fail(err); } })();
// The fault tests' own job kinds, only under NODE_ENV=test with JICAI_TEST_ONLY_PROCESSORS=1 (else none, or exit 1).
const processors = (() => {
  try { return { ...platformProcessors, ...testOnlyProcessors() }; } catch (err) { return fail(err); }
})();
if (!config.databaseUrl || !config.redisUrl) {
  console.error('jicai worker: DATABASE_URL and REDIS_URL are required (in embedded mode `npm start` runs the jobs itself)');
  process.exit(1);
}
// The worker opens the bids: the only process with the opening private key (SECURITY.md "Key custody").
if (!config.openingPrivateKey) {
  console.error('jicai worker: JICAI_OPENING_PRIVATE_KEY (or JICAI_OPENING_PRIVATE_KEY_FILE) is required: the worker opens the bids');
  process.exit(1);
}
const db = await createDb({ databaseUrl: config.databaseUrl, max: 10 }).catch(fail);
await runMigrations(db).catch(fail);
const jobs = jobSide({ redisUrl: config.redisUrl, prefix: config.queuePrefix, backoffMs: config.jobBackoffMs, processors, work: true, lockMs: config.jobLockMs });
const ctx = { db, config, clock: systemClock, jobs };
await jobs.start(ctx);
console.log(`jicai worker: ${Object.keys(processors).join(', ') || 'no job kinds'} on ${config.queuePrefix}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  const limit = Number(process.env.JICAI_WORKER_SHUTDOWN_MS ?? 30_000);
  const timer = setTimeout(() => { console.error(`jicai worker: ${signal}: active jobs did not finish in ${limit} ms; exiting`); process.exit(1); }, limit);
  timer.unref();
  await jobs.close();
  await db.close();
  console.log(`jicai worker: ${signal}: stopped`);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
