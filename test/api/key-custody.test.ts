import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { openingKeyId } from '../../src/bids/custody.js';
import { rotateOpeningKey } from '../../src/bids/rotation.js';
import type { AppContext } from '../../src/context.js';
import { noJobs } from '../../src/http/health.js';
import { openRound } from '../../src/results/opening.js';
import { OPEN_ROUND } from '../../src/results/open-request.js';
import { openRoundProcessor } from '../../jobs/processors/open-round.js';
import { api, expectProblem, testOpeningKeys } from '../helpers.js';
import { bid, item, maker, open, round, world, type World } from './round-fixture.js';

/** SECURITY.md "Key custody": the processes that accept bids cannot open them. */
describe('key custody', () => {
  let w: World;
  let apiCtx: AppContext;
  let apiApp: FastifyInstance;

  beforeAll(async () => {
    w = await world();
    // An API process: the same database, the opening public key alone, and no job side of its own (the worker is elsewhere).
    apiCtx = { db: w.t.db, clock: w.t.clock, jobs: noJobs(), config: { ...w.t.ctx.config, openingPrivateKey: null, openingWaitMs: 1 } };
    apiApp = await buildApp(apiCtx, { logger: false });
    await apiApp.ready();
  });
  afterAll(async () => { await apiApp?.close(); await w?.t.close(); });

  it('accepts bids in an API process that holds no key to read them; only the worker opens them', async () => {
    const r = await round(w, { demand: [['gz1', 'ATV20', 10]] });
    const m = await maker(w);
    const viaApi = api(apiApp);
    const put = await viaApi.put(`/v1/rounds/${r.id}/bids/ATV20`, m.h, { productId: m.products[0], packagePrice: '5' });
    expect(put.status).toBe(200);
    w.t.clock.set(r.closesAt);
    // The API side cannot open the round: it holds no opening private key, and the round key is sealed to the opening key.
    await expect(openRound(apiCtx, 'test', r.id)).rejects.toThrow(/holds no opening private key/);
    const [row] = await w.t.db.query<{ sealed_to: string }>('SELECT round_key_sealed_to AS sealed_to FROM rounds WHERE id = $1', [r.id]);
    expect(row.sealed_to).toBe(apiCtx.config.openingKey.id);
    // Its POST /open asks the worker; none answers in time: 503 opening-pending, with Retry-After, and the round still bidding.
    const pending = await viaApi.post(`/v1/rounds/${r.id}/open`, w.alliance.h);
    expectProblem(pending, 503, 'opening-pending');
    expect(pending.headers['retry-after']).toBeDefined();
    expect((await viaApi.get(`/v1/rounds/${r.id}`, w.alliance.h)).body.state).toBe('bidding');
    // The worker (the test app's job side, which holds the private key) completes the same opening: GET /results answers once it has.
    w.t.jobs.kick();
    let results = await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h);
    for (let i = 0; i < 100 && results.status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      w.t.jobs.kick();
      results = await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h);
    }
    expect(results.status, JSON.stringify(results.body)).toBe(200);
    expect(results.body.items[0].bids[0]).toMatchObject({ manufacturerId: m.id, packagePrice: '5.0000' });
    expect((await w.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE kind = 'open-round' AND payload->>'roundId' = $1`, [r.id]))[0].n).toBe(1);
    expectProblem(await viaApi.post(`/v1/rounds/${r.id}/open`, w.alliance.h), 409, 'invalid-state');
  });

  it('seals every price to the same ciphertext length, 1 to 9 integer digits', async () => {
    const big = item('BIG', { maxUnitPrice: '999999999999', baselineUnitPrice: '999999999999' });
    const r = await round(w, { items: [big] });
    const prices = ['1', '12.3', '123.45', '1234.5678', '12345', '123456.7', '1234567.89', '12345678', '123456789.1234'];
    for (const p of prices) await bid(w, await maker(w, [{ pack: 1 }]), r, 'BIG', p);
    const rows = await w.t.db.query<{ len: number }>('SELECT length(sealed) AS len FROM bids WHERE round_id = $1', [r.id]);
    expect(rows).toHaveLength(prices.length);
    expect(new Set(rows.map((x) => x.len)).size).toBe(1);
    const results = await open(w, r);
    expect(results.items[0].bids.map((b) => b.packagePrice).sort()).toEqual(prices.map((p) => Number(p).toFixed(4)).sort());
  });

  it('re-seals the round keys of unopened rounds to a new opening key (rotation); opened rounds are left', async () => {
    const opened = await round(w, { demand: [['gz1', 'ATV20', 10]] });
    await bid(w, await maker(w), opened, 'ATV20', '4');
    await open(w, opened);
    const draft = await round(w, { state: 'draft' });
    const bidding = await round(w, { demand: [['gz1', 'ATV20', 10]] });
    const m = await maker(w);
    await bid(w, m, bidding, 'ATV20', '3.5');
    const old = w.t.ctx.config;
    const next = generateKeyPairSync('x25519');
    const moved = await rotateOpeningKey(w.t.db, { openingPrivateKey: old.openingPrivateKey!, id: old.openingKey.id }, { publicKey: next.publicKey, id: openingKeyId(next.publicKey) });
    expect(moved).toContain(draft.id);
    expect(moved).toContain(bidding.id);
    expect(moved).not.toContain(opened.id);
    // The old key opens them no more; the new one does.
    w.t.clock.set(bidding.closesAt);
    await expect(openRound(w.t.ctx, 'test', bidding.id)).rejects.toThrow(/sealed to opening key/);
    const rotated: AppContext = { ...w.t.ctx, config: { ...old, ...testOpeningKeys(next) } };
    const row = await openRound(rotated, 'test', bidding.id);
    expect(row.state).toBe('opened');
    const [b] = await w.t.db.query<{ package_price: string }>('SELECT package_price::text AS package_price FROM bid_results WHERE round_id = $1', [bidding.id]);
    expect(b.package_price).toBe('3.5');
    // A second run finds nothing left under the old key.
    expect(await rotateOpeningKey(w.t.db, { openingPrivateKey: old.openingPrivateKey!, id: old.openingKey.id }, { publicKey: next.publicKey, id: openingKeyId(next.publicKey) })).toEqual([]);
  });
});

describe('POST /v1/rounds/{id}/open while the worker is still opening', () => {
  let w: World;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  // The worker's opening, held until the test lets it go (a slow opening).
  beforeAll(async () => {
    w = await world({ processors: { [OPEN_ROUND]: { run: async (ctx, payload, run) => { await gate; return openRoundProcessor.run(ctx, payload, run); } } } });
  });
  afterAll(async () => { release(); await w?.t.close(); });

  it('answers 503 opening-pending when the wait runs out, and a repeated POST waits for the same opening and answers its results', async () => {
    const r = await round(w, { demand: [['gz1', 'ATV20', 10]] });
    const m = await maker(w);
    await bid(w, m, r, 'ATV20', '5');
    w.t.clock.set(r.closesAt);
    w.t.ctx.config.openingWaitMs = 200;
    const first = await w.api.post(`/v1/rounds/${r.id}/open`, w.alliance.h);
    expectProblem(first, 503, 'opening-pending');
    expect(first.headers['retry-after']).toBeDefined();
    w.t.ctx.config.openingWaitMs = 20_000;
    const again = w.api.post(`/v1/rounds/${r.id}/open`, w.alliance.h);
    setTimeout(release, 300);
    const res = await again;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items[0].bids[0]).toMatchObject({ manufacturerId: m.id, packagePrice: '5.0000', winner: true });
    expect((await w.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE kind = 'open-round' AND payload->>'roundId' = $1`, [r.id]))[0].n).toBe(1);
    expect((await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h)).body).toEqual(res.body);
  });
});
