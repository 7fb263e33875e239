import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute } from '../../jobs/execute.js';
import { jobSide } from '../../jobs/index.js';
import { processors } from '../../jobs/processors/index.js';
import { roundTransition } from '../../jobs/processors/round-transition.js';
import { ROUND_TRANSITION, transitionKey } from '../../src/rounds/schedule.js';
import { api, count, expectProblem, op, org, testApp, type Api, type TestApp } from '../helpers.js';
import { bid, chainOf, item, maker, world, type Maker, type World } from './round-fixture.js';

/**
 * DOMAIN.md "Scheduled transitions": autoStartBidding and autoOpen as outbox
 * jobs (BullMQ delayed jobs through the relay on PostgreSQL with Redis, the
 * in-process runner on PGlite), one per round and transition.
 */
interface OutboxJob { id: number; version: number; state: string; run_at: Date; result: { outcome?: string } | null }
const jobOf = async (t: TestApp, roundId: string, action: 'start-bidding' | 'open') =>
  (await t.db.query<OutboxJob>('SELECT id::int AS id, version, state, run_at, result FROM outbox WHERE key = $1', [transitionKey(roundId, action)]))[0];

/**
 * Runs the transitions due on the manual clock. Embedded: the runner's pass. With Redis the relay
 * queued them delayed by the manual clock's distance, so they are executed here as a worker would (same claim, same processor).
 */
async function runDue(t: TestApp) {
  if (t.jobs.kind !== 'redis') return (t.jobs as unknown as { runDue(): Promise<void> }).runDue();
  const due = await t.db.query<{ id: number; version: number }>(
    `SELECT id::int AS id, version FROM outbox WHERE kind = $1 AND state = 'pending' AND run_at <= $2 ORDER BY run_at, id`, [ROUND_TRANSITION, t.clock.now()]);
  for (const j of due) await execute(t.ctx, processors, j.id, j.version);
}

describe('scheduled transitions on the injectable clock', () => {
  let w: World;
  let c: Api;
  let m1: Maker, m2: Maker;
  beforeAll(async () => {
    w = await world();
    c = w.api;
    m1 = await maker(w);
    m2 = await maker(w);
  });
  afterAll(async () => { await w?.t.close(); });

  /** A draft round with one item, its window a day and ten days after the clock. */
  async function scheduled(flags: { autoStartBidding?: boolean; autoOpen?: boolean }) {
    const now = w.t.clock.now().getTime();
    const bidOpensAt = new Date(now + 86_400_000).toISOString(), bidClosesAt = new Date(now + 10 * 86_400_000).toISOString();
    const r = await c.post('/v1/rounds', w.alliance.h, { name: 'scheduled', rules: { preset: 'nvbp' }, bidOpensAt, bidClosesAt, contractMonths: 12, ...flags });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await c.post(`/v1/rounds/${r.body.id}/items`, w.alliance.h, item())).status).toBe(201);
    return { id: r.body.id, opensAt: bidOpensAt, closesAt: bidClosesAt, body: r.body };
  }

  it('starts bidding at bidOpensAt and opens at bidClosesAt, as the scheduler, exactly as POST /open', async () => {
    const r = await scheduled({ autoStartBidding: true, autoOpen: true });
    expect(r.body).toMatchObject({ autoStartBidding: true, autoOpen: true, openedAt: null, noticeEndsAt: null });
    expect((await jobOf(w.t, r.id, 'start-bidding')).run_at.toISOString()).toBe(r.opensAt);
    expect((await jobOf(w.t, r.id, 'open')).run_at.toISOString()).toBe(r.closesAt);
    expect((await c.post(`/v1/rounds/${r.id}/publish`, w.alliance.h)).status).toBe(200);
    expect((await c.put(`/v1/rounds/${r.id}/demand/ATV20`, w.hospitals.gz1.h, { quantity: 1000 })).status).toBe(200);

    w.t.clock.set(new Date(new Date(r.opensAt).getTime() - 1));
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('demand');
    w.t.clock.set(r.opensAt);
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('bidding');

    await bid(w, m1, { id: r.id, opensAt: r.opensAt, closesAt: r.closesAt }, 'ATV20', '5.00');
    await bid(w, m2, { id: r.id, opensAt: r.opensAt, closesAt: r.closesAt }, 'ATV20', '6.00');
    w.t.clock.set(new Date(new Date(r.closesAt).getTime() - 1));
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('bidding');
    w.t.clock.set(r.closesAt);
    await runDue(w.t);
    const after = await c.get(`/v1/rounds/${r.id}`, op);
    expect(after.body).toMatchObject({ state: 'opened', openedAt: r.closesAt });
    const results = await c.get(`/v1/rounds/${r.id}/results`, w.alliance.h);
    expect(results.body.items[0]).toMatchObject({ outcome: 'awarded', eligibleBidders: 2, lowest: '0.5000', maxWinners: 2, totalDemand: 1000 });
    // The higher of two bids is excluded (excludeHighest): one winner, as POST /open gives.
    expect(results.body.items[0].bids.map((b: { winner: boolean }) => b.winner)).toEqual([true, false]);
    const chain = await chainOf(w, r.id);
    expect(chain.filter((e) => e.type === 'round.bidding' || e.type === 'round.opened').map((e) => [e.type, e.actor]))
      .toEqual([['round.bidding', 'scheduler'], ['round.opened', 'scheduler']]);
    expect(chain.find((e) => e.type === 'round.opened')!.data).toMatchObject({ bids: 2, items: 1, awardedItems: 1 });
    expect(await jobOf(w.t, r.id, 'open')).toMatchObject({ state: 'done', result: { outcome: 'opened' } });
  });

  it('moves the job when the window changes while draft, withdraws it when the flag is turned off or the round cancelled', async () => {
    const r = await scheduled({ autoOpen: true });
    expect(await jobOf(w.t, r.id, 'start-bidding')).toBeUndefined();
    const before = await jobOf(w.t, r.id, 'open');
    const later = new Date(new Date(r.closesAt).getTime() + 3_600_000).toISOString();
    expect((await c.patch(`/v1/rounds/${r.id}`, w.alliance.h, { bidClosesAt: later })).status).toBe(200);
    const moved = await jobOf(w.t, r.id, 'open');
    expect(moved).toMatchObject({ id: before.id, version: before.version + 1, state: 'pending' });
    expect(moved.run_at.toISOString()).toBe(later);
    expect((await c.patch(`/v1/rounds/${r.id}`, w.alliance.h, { autoOpen: false, autoStartBidding: true })).body).toMatchObject({ autoOpen: false, autoStartBidding: true });
    expect((await jobOf(w.t, r.id, 'open')).state).toBe('cancelled');
    expect((await jobOf(w.t, r.id, 'start-bidding')).state).toBe('pending');
    expect((await c.patch(`/v1/rounds/${r.id}`, w.alliance.h, { autoOpen: true })).status).toBe(200);
    expect((await jobOf(w.t, r.id, 'open')).state).toBe('pending');

    expect((await c.post(`/v1/rounds/${r.id}/cancel`, w.alliance.h)).status).toBe(200);
    expect((await jobOf(w.t, r.id, 'open')).state).toBe('cancelled');
    expect((await jobOf(w.t, r.id, 'start-bidding')).state).toBe('cancelled');
    w.t.clock.set(later);
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('cancelled');
    expect((await chainOf(w, r.id)).filter((e) => e.actor === 'scheduler')).toEqual([]);
  });

  it('does nothing when the transition is no longer allowed: the round was moved by hand', async () => {
    const r = await scheduled({ autoStartBidding: true, autoOpen: true });
    expect((await c.post(`/v1/rounds/${r.id}/publish`, w.alliance.h)).status).toBe(200);
    expect((await c.post(`/v1/rounds/${r.id}/start-bidding`, w.alliance.h)).status).toBe(200);
    w.t.clock.set(r.closesAt);
    // POST /open at bidClosesAt races the scheduler's autoOpen, due at the same moment (both are jobs of the opener):
    // the request answers the results whoever opened, and the round is opened once.
    expect((await c.post(`/v1/rounds/${r.id}/open`, w.alliance.h)).status).toBe(200);
    await runDue(w.t);
    expect(await jobOf(w.t, r.id, 'start-bidding')).toMatchObject({ state: 'done', result: { outcome: 'not-allowed' } });
    const chain = await chainOf(w, r.id);
    expect(chain.filter((e) => e.type === 'round.bidding').map((e) => e.actor)).toEqual([w.alliance.id]);
    const opened = chain.filter((e) => e.type === 'round.opened');
    expect(opened).toHaveLength(1);
    const job = await jobOf(w.t, r.id, 'open');
    expect(job.state).toBe('done');
    if (opened[0].actor === w.alliance.id) expect(job.result).toMatchObject({ outcome: 'not-allowed' });
    else expect(opened[0].actor).toBe('scheduler');
  });

  it('leaves a round in draft at bidOpensAt where it is', async () => {
    const r = await scheduled({ autoStartBidding: true });
    w.t.clock.set(r.opensAt);
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('draft');
    expect(await jobOf(w.t, r.id, 'start-bidding')).toMatchObject({ state: 'done', result: { outcome: 'not-allowed' } });
    // A new window, set while still draft, schedules the transition again.
    const opensAt = new Date(new Date(r.opensAt).getTime() + 86_400_000).toISOString();
    expect((await c.patch(`/v1/rounds/${r.id}`, w.alliance.h, { bidOpensAt: opensAt })).status).toBe(200);
    expect(await jobOf(w.t, r.id, 'start-bidding')).toMatchObject({ state: 'pending', run_at: new Date(opensAt) });
    expect((await c.post(`/v1/rounds/${r.id}/publish`, w.alliance.h)).status).toBe(200);
    w.t.clock.set(opensAt);
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('bidding');
  });

  it('starts bidding at once when a round is published after its bidOpensAt', async () => {
    const r = await scheduled({ autoStartBidding: true });
    w.t.clock.set(new Date(new Date(r.opensAt).getTime() + 3_600_000));
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('draft');
    expect((await c.post(`/v1/rounds/${r.id}/publish`, w.alliance.h)).status).toBe(200);
    await runDue(w.t);
    expect((await c.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('bidding');
    expect((await chainOf(w, r.id)).find((e) => e.type === 'round.bidding')?.actor).toBe('scheduler');
  });

  it('never opens a round twice when two workers run its job at once', async () => {
    const r = await scheduled({ autoStartBidding: true, autoOpen: true });
    expect((await c.post(`/v1/rounds/${r.id}/publish`, w.alliance.h)).status).toBe(200);
    w.t.clock.set(r.opensAt);
    await runDue(w.t);
    await bid(w, m1, { id: r.id, opensAt: r.opensAt, closesAt: r.closesAt }, 'ATV20', '5.00');
    w.t.clock.set(r.closesAt);
    const payload = { roundId: r.id, action: 'open' };
    const run = { outboxId: 0, attempt: 1, finalAttempt: false };
    const outcomes = await Promise.all([roundTransition.run(w.t.ctx, payload, run), roundTransition.run(w.t.ctx, payload, run)]);
    expect(outcomes.map((o) => (o as { outcome: string }).outcome).sort()).toEqual(['not-allowed', 'opened']);
    // Two claims of the same outbox row (a job handed to a second worker): the round is still opened once.
    const job = await jobOf(w.t, r.id, 'open');
    await Promise.all([execute(w.t.ctx, processors, job.id, job.version), execute(w.t.ctx, processors, job.id, job.version)]);
    const chain = await chainOf(w, r.id);
    expect(chain.filter((e) => e.type === 'round.opened')).toHaveLength(1);
    expect(await count(w.t.db, 'bid_results', 'round_id = $1', [r.id])).toBe(1);
  });

  it('takes the flags only as booleans, and PATCH only while draft', async () => {
    const now = w.t.clock.now().getTime();
    const body = { name: 'x', rules: { preset: 'nvbp' as const }, bidOpensAt: new Date(now + 1000).toISOString(), bidClosesAt: new Date(now + 2000).toISOString(), contractMonths: 12 };
    const before = await count(w.t.db, 'outbox');
    expectProblem(await c.loose.post('/v1/rounds', w.alliance.h, { ...body, autoOpen: 'yes' }), 400, 'validation');
    expectProblem(await c.loose.post('/v1/rounds', w.alliance.h, { ...body, autoStartBidding: 1 }), 400, 'validation');
    const r = await scheduled({});
    expect(r.body).toMatchObject({ autoStartBidding: false, autoOpen: false });
    expect(await count(w.t.db, 'outbox')).toBe(before);
    expect((await c.post(`/v1/rounds/${r.id}/publish`, w.alliance.h)).status).toBe(200);
    expectProblem(await c.patch(`/v1/rounds/${r.id}`, w.alliance.h, { autoOpen: true }), 409, 'invalid-state');
    expect(await count(w.t.db, 'outbox')).toBe(before);
  });
});

describe('scheduled transitions in real time', () => {
  let t: TestApp;
  let c: Api;
  beforeAll(async () => { t = await testApp({ realTime: true }); c = api(t.app); });
  afterAll(async () => { await t?.close(); });

  async function parties() {
    const alliance = await org(c, { kind: 'alliance', name: '联盟', regionCode: '440000', regionCodes: ['440000'] });
    const hospital = await org(c, { kind: 'hospital', name: 'h', regionCode: '440103' });
    const m = await org(c, { kind: 'manufacturer', name: 'm', regionCode: '310000' });
    const p = await c.post('/v1/products', m.h, {
      genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: '20', unit: 'mg' }, packSize: 10,
      approvalNumber: 'H1', qualityTier: 'consistency_passed',
    });
    expect((await c.post(`/v1/products/${p.body.id}/verify`, op)).status).toBe(200);
    return { alliance, hospital, m, product: p.body.id as string };
  }

  async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await what();
      if (ok(v) || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it(`a round opens itself a few seconds after creation, within 2 s of bidClosesAt (${process.env.REDIS_URL && process.env.DATABASE_URL ? 'BullMQ' : 'in-process'})`, async () => {
    const { alliance, hospital, m, product } = await parties();
    const start = Date.now();
    const opensAt = new Date(start + 1500), closesAt = new Date(start + 4000);
    const r = await c.post('/v1/rounds', alliance.h, {
      name: 'self-opening', rules: { preset: 'nvbp' }, bidOpensAt: opensAt.toISOString(), bidClosesAt: closesAt.toISOString(), contractMonths: 12,
      autoStartBidding: true, autoOpen: true,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await c.post(`/v1/rounds/${r.body.id}/items`, alliance.h, item())).status).toBe(201);
    expect((await c.post(`/v1/rounds/${r.body.id}/publish`, alliance.h)).status).toBe(200);
    expect((await c.put(`/v1/rounds/${r.body.id}/demand/ATV20`, hospital.h, { quantity: 100 })).status).toBe(200);
    const bidding = await until(() => c.get(`/v1/rounds/${r.body.id}`, op), (x) => x.body.state === 'bidding', 5000);
    expect(bidding.body.state).toBe('bidding');
    expect(Date.now() - opensAt.getTime()).toBeLessThan(2000);
    expect((await c.put(`/v1/rounds/${r.body.id}/bids/ATV20`, m.h, { productId: product, packagePrice: '5.00' })).status).toBe(200);
    const opened = await until(() => c.get(`/v1/rounds/${r.body.id}`, op), (x) => x.body.state === 'opened', 8000);
    expect(opened.body.state).toBe('opened');
    const late = new Date(opened.body.openedAt!).getTime() - closesAt.getTime();
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(2000);
    const results = await c.get(`/v1/rounds/${r.body.id}/results`, m.h);
    expect(results.body.items[0]).toMatchObject({ outcome: 'awarded', lowest: '0.5000' });
  }, 20_000);

  it('a transition that fell due while nothing ran happens at the next start', async () => {
    const { alliance } = await parties();
    const w = { alliance };
    await t.jobs.close(); // nothing runs from here
    const closesAt = new Date(Date.now() + 800);
    const r = await c.post('/v1/rounds', w.alliance.h, {
      name: 'overdue', rules: { preset: 'nvbp' }, bidOpensAt: new Date(Date.now() - 1000).toISOString(), bidClosesAt: closesAt.toISOString(), contractMonths: 12, autoOpen: true,
    });
    expect((await c.post(`/v1/rounds/${r.body.id}/items`, w.alliance.h, item())).status).toBe(201);
    expect((await c.post(`/v1/rounds/${r.body.id}/publish`, w.alliance.h)).status).toBe(200);
    expect((await c.post(`/v1/rounds/${r.body.id}/start-bidding`, w.alliance.h)).status).toBe(200);
    await new Promise((res) => setTimeout(res, 1500));
    expect((await c.get(`/v1/rounds/${r.body.id}`, op)).body.state).toBe('bidding');
    // The next start of a process: a fresh job side of the same mode.
    const again = jobSide({
      redisUrl: t.ctx.config.redisUrl, prefix: t.ctx.config.queuePrefix, backoffMs: 50, processors, work: true, timers: true, pollMs: 200,
    });
    try {
      await again.start(t.ctx);
      const opened = await until(() => c.get(`/v1/rounds/${r.body.id}`, op), (x) => x.body.state === 'opened', 5000);
      expect(opened.body.state).toBe('opened');
      expect((await c.get(`/v1/rounds/${r.body.id}/audit`, op)).body.data.find((e) => e.type === 'round.opened')?.actor).toBe('scheduler');
    } finally {
      await again.close();
    }
  }, 20_000);
});
