import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cloneTemplate, dropDatabase } from '../helpers.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { enqueue, waitForJob } from '../../src/outbox/service.js';
import { dropRedisPrefix, spawnNode, waitFor, type Proc, openingKeys } from './processes.js';

/**
 * A worker (`node dist/jobs/main.js`, built as `npm run worker` builds it) SIGKILLed in the middle of a slow job: BullMQ's stall check hands
 * the job to a second worker, which runs it to the end; the job completes once (one "done", the outbox row done).
 * The slow kind is test-only (jobs/processors/test-only.ts: NODE_ENV=test and JICAI_TEST_ONLY_PROCESSORS=1).
 * PG mode with Redis only: skipped without DATABASE_URL and REDIS_URL.
 */
const MASTER = 'worker-kill-master-key-0123456789';
const KEYS = openingKeys();
const LOCK_MS = 3000;

describe.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL)('fault: a worker killed mid-job (needs DATABASE_URL and REDIS_URL)', () => {
  const name = `${inject('testDbPrefix')}wk_${randomBytes(4).toString('hex')}`;
  let dir = '';
  const prefix = `jicai-test-${name}`;
  const procs: Proc[] = [];
  let url = '';
  let db: Db | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jicai-wk-'));
    url = await cloneTemplate(name);
    db = await createDb({ databaseUrl: url, max: 2 });
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) { p.child.kill('SIGKILL'); await p.exited; }
    await db?.close();
    await dropRedisPrefix(process.env.REDIS_URL!, prefix);
    await dropDatabase(name);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const worker = (label: string) => {
    const p = spawnNode(label, 'jobs/main.ts', {
      DATABASE_URL: url, REDIS_URL: process.env.REDIS_URL!, JICAI_QUEUE_PREFIX: prefix, JICAI_MASTER_KEY: MASTER, ...KEYS.worker,
      JICAI_JOB_LOCK_MS: String(LOCK_MS), JICAI_JOB_BACKOFF_MS: '100', NODE_ENV: 'test', JICAI_TEST_ONLY_PROCESSORS: '1', JICAI_DATA_DIR: dir,
    });
    procs.push(p);
    return p;
  };
  const lines = (tag: string) => (existsSync(join(dir, `${tag}.log`)) ? readFileSync(join(dir, `${tag}.log`), 'utf8').trim().split('\n') : []);

  it('hands the job to another worker, which completes it once', async () => {
    const a = worker('worker A');
    await waitFor('worker A to start', async () => /jicai worker: .*test\.slow/.test(a.output()), 30_000);
    const id = await db!.transaction((tx) => enqueue(tx, 'test.slow', { tag: 'slow', ms: 4000, dir }, new Date()));
    await waitFor('worker A to start the job', async () => lines('slow').some((l) => l.startsWith(`start ${a.child.pid} `)), 20_000);
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    const b = worker('worker B');
    const row = await waitFor('the job to finish', async () => (await waitForJob(db!, id, 200)) ?? undefined, 45_000, 200);
    const handedOnMs = Date.now() - killedAt;
    const log = lines('slow');
    expect(row.state, JSON.stringify(row)).toBe('done');
    expect(row.result).toEqual({ by: b.child.pid });
    expect(log.filter((l) => l.startsWith('done ')), log.join('\n')).toEqual([`done ${b.child.pid}`]);
    expect(log.filter((l) => l.startsWith(`start ${a.child.pid} `))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith(`start ${b.child.pid} `))).toHaveLength(1);
    // Nothing runs it again afterwards.
    await new Promise((r) => setTimeout(r, LOCK_MS));
    expect(lines('slow')).toEqual(log);
    console.info(`worker-killed: job ${id} finished by the second worker ${handedOnMs} ms after the first was killed (attempts ${row.attempts})`);
  }, 90_000);

  it('a worker with the test-only flag but without NODE_ENV=test refuses to start', async () => {
    const p = spawnNode('worker C', 'jobs/main.ts', {
      DATABASE_URL: url, REDIS_URL: process.env.REDIS_URL!, JICAI_QUEUE_PREFIX: prefix, JICAI_MASTER_KEY: MASTER, ...KEYS.worker,
      JICAI_TEST_ONLY_PROCESSORS: '1', JICAI_DATA_DIR: dir,
    });
    expect(await p.exited).toBe(1);
    expect(p.output().trim()).toBe('jicai worker: configuration error: JICAI_TEST_ONLY_PROCESSORS is for tests only (it needs NODE_ENV=test); unset it');
  }, 30_000);
});
