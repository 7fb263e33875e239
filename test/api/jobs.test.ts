import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers.js';
import { enqueue, schedule, unschedule, waitForJob } from '../../src/outbox/service.js';
import type { Processors } from '../../jobs/processors/types.js';

/**
 * The job side of both modes (ENGINEERING.md "Two modes"): on PostgreSQL with
 * Redis, the outbox relay and BullMQ workers in this process; on PGlite, the
 * in-process runner. The same test processors run either way.
 */
const runs = new Map<string, number>();
const count = (tag: string) => runs.get(tag) ?? 0;
const failures: string[] = [];

const processors: Processors = {
  'test.echo': {
    async run(_ctx, payload) {
      const tag = String(payload.tag);
      runs.set(tag, count(tag) + 1);
      return { echoed: tag };
    },
  },
  'test.flaky': {
    // Fails its first `fail` attempts, then succeeds.
    async run(_ctx, payload, run) {
      const tag = String(payload.tag);
      runs.set(tag, count(tag) + 1);
      if (run.attempt <= Number(payload.fail)) throw new Error(`attempt ${run.attempt} of ${tag} failed`);
      return { attempt: run.attempt };
    },
    async failed(_ctx, payload, error) { failures.push(`${payload.tag}: ${error.message}`); },
  },
};

describe('the job side (outbox, relay or runner, processors)', () => {
  let t: TestApp;
  const redis = () => t.jobs.kind === 'redis';
  /** Enqueues in a transaction of its own, then tells the job side (what a service does after commit). */
  async function add(kind: string, payload: Record<string, unknown>, runAt?: Date) {
    const id = await t.db.transaction((tx) => enqueue(tx, kind, payload, t.clock.now(), runAt));
    t.jobs.kick();
    return id;
  }
  /** Waits for a job; the embedded runner (timers off under the manual clock) is run here. */
  async function finished(id: number, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!redis()) await (t.jobs as unknown as { runDue(): Promise<void> }).runDue();
      const row = await waitForJob(t.db, id, redis() ? 500 : 50);
      if (row || Date.now() > until) return row;
      if (!redis()) t.clock.advance(60_000); // past any retry backoff
    }
  }

  beforeAll(async () => { t = await testApp({ processors }); });
  afterAll(async () => { await t?.close(); });

  it('runs a committed job once and keeps its result on the outbox row', async () => {
    const id = await add('test.echo', { tag: 'once' });
    const row = await finished(id);
    expect(row).toMatchObject({ state: 'done', result: { echoed: 'once' }, attempts: 1 });
    // Asking again (a second relay pass, a second kick) does not run it again.
    t.jobs.kick();
    await new Promise((r) => setTimeout(r, 300));
    expect(count('once')).toBe(1);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const id = await add('test.flaky', { tag: 'flaky', fail: 2 });
    const row = await finished(id, 30_000);
    expect(row).toMatchObject({ state: 'done', result: { attempt: 3 }, attempts: 3, lastError: null });
    expect(count('flaky')).toBe(3);
  });

  it('gives up after the last attempt: the row is failed with the readable error and the failure hook runs', async () => {
    const id = await add('test.flaky', { tag: 'broken', fail: 99 });
    const row = await finished(id, 60_000);
    expect(row).toMatchObject({ state: 'failed', attempts: 5, lastError: 'attempt 5 of broken failed' });
    expect(count('broken')).toBe(5);
    expect(failures).toContain('broken: attempt 5 of broken failed');
  }, 90_000);

  it('moves a scheduled job when it is rescheduled, and a cancelled one never runs', async () => {
    const now = t.clock.now().getTime();
    await t.db.transaction((tx) => schedule(tx, 'test:moved', 'test.echo', { tag: 'moved' }, new Date(now + 3_600_000), t.clock.now()));
    t.jobs.kick();
    // Rescheduled to now: the copy queued for the later time is stale (a new version) and does nothing.
    await t.db.transaction((tx) => schedule(tx, 'test:moved', 'test.echo', { tag: 'moved' }, new Date(now), t.clock.now()));
    await t.db.transaction((tx) => schedule(tx, 'test:cancelled', 'test.echo', { tag: 'cancelled' }, new Date(now + 500), t.clock.now()));
    await t.db.transaction((tx) => unschedule(tx, 'test:cancelled'));
    t.jobs.kick();
    const [{ id }] = await t.db.query<{ id: number }>(`SELECT id::int AS id FROM outbox WHERE key = 'test:moved'`);
    expect(await finished(id)).toMatchObject({ state: 'done', version: 2 });
    await new Promise((r) => setTimeout(r, 1500));
    if (!redis()) { t.clock.advance(3_600_000); await (t.jobs as unknown as { runDue(): Promise<void> }).runDue(); }
    expect(count('moved')).toBe(1);
    expect(count('cancelled')).toBe(0);
    const [cancelled] = await t.db.query<{ state: string }>(`SELECT state FROM outbox WHERE key = 'test:cancelled'`);
    expect(cancelled.state).toBe('cancelled');
  });

  it('never loses a job of an unknown kind', async () => {
    const id = await add('test.unknown', {});
    if (redis()) {
      // The relay keeps a row of a kind it has no queue for: another process (a newer worker) may have one.
      await new Promise((r) => setTimeout(r, 600));
      const [row] = await t.db.query<{ state: string; relayed_version: number | null }>('SELECT state, relayed_version FROM outbox WHERE id = $1', [id]);
      expect(row).toEqual({ state: 'pending', relayed_version: null });
    } else {
      expect(await finished(id)).toMatchObject({ state: 'failed', lastError: 'no processor for jobs of kind test.unknown' });
    }
  });
});
