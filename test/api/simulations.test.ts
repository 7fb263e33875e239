import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op, org } from '../helpers.js';
import { example, exampleBids, exampleDemand, exampleRound, keyOf, type Example } from './worked-example.js';

/**
 * DOMAIN.md "Rule simulation" over the worked example (comparable prices M1 0.6000, M2 0.5100, M3 0.5294…, M4 0.9200,
 * M5 ineligible by quality tier, M6 1.2000; M3 prefers 110000; units 440000 15,000, 320000 6,000, 330000 3,000, 110000 1,999).
 *
 * pilot-4+7: only the lowest is a candidate, one winner: M2 at ratio 0.6 supplies every unit (h4's preferred M4 did not win);
 * priceDrop = weightedDrop = 1 − 0.51 / 2.5 = 0.7960.
 * anchor-2025: anchor = max(0.51, 0.5 × mean(0.6, 0.51, 0.5294, 0.92, 1.2) = 0.3759) = 0.51; spread 1.8 × 0.51 = 0.918:
 * M2 lowest 1, M3 spread 2, M1 spread 3; M4 0.92 no test holds (dropFromMax null), M6 the highest. Three winners, ratio 0.7,
 * priceDrop = 1 − mean(0.51, 0.5294…, 0.6) / 2.5 = 0.7814. Units: M2 440000, M3 110000 (its preference: it wins under both),
 * M1 320000, then M2 330000. Agreed h1 7,000, h3 3,500, h4 2,100 (M2), h2 4,200 (M1), h5 1,399 (M3, 1,999 × 0.7 = 1,399.3):
 * weightedDrop = 1 − (0.51 × 12,600 + 0.6 × 4,200 + 0.9/1.7 × 1,399) / (2.5 × 18,199) = 0.7871.
 */
describe('POST /v1/rounds/{id}/simulations', () => {
  let x: Example;
  let roundId: string;
  const url = () => `/v1/rounds/${roundId}/simulations`;
  const tables = ['item_results', 'bid_results', 'award_totals', 'region_preferences'];
  const written = async () => Promise.all([
    ...tables.map((t) => count(x.t.db, t, 'round_id = $1', [roundId])),
    count(x.t.db, 'allocations'), count(x.t.db, 'award_winners'), count(x.t.db, 'rounds', `id = $1 AND state = 'opened'`, [roundId]),
  ]);

  beforeAll(async () => {
    x = await example({ alliance: { name: '广东联盟', regionCodes: ['440000', '320000', '330000', '110000'] } });
    roundId = await exampleRound(x, '阿托伐他汀');
    expect((await x.api.post(`/v1/rounds/${roundId}/publish`, x.alliance.h)).status).toBe(200);
    await exampleDemand(x, roundId);
    expect((await x.api.post(`/v1/rounds/${roundId}/start-bidding`, x.alliance.h)).status).toBe(200);
    x.t.clock.set('2026-03-15T00:00:00Z');
    await exampleBids(x, roundId);
    expectProblem(await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'nvbp' } }), 409, 'invalid-state');
    x.t.clock.set('2026-03-20T00:00:00Z');
    expect((await x.api.post(`/v1/rounds/${roundId}/open`, x.alliance.h)).status).toBe(200);
    expect((await x.api.put(`/v1/rounds/${roundId}/region-preferences/ATV20`, x.m.M3.h, { regionCodes: ['110000'] })).status).toBe(200);
  });
  afterAll(async () => { await x?.t.close(); });

  const bidsBy = (body: { items: { bids: { manufacturerId: string }[] }[] }) =>
    Object.fromEntries(body.items[0].bids.map((b) => [keyOf(x.m, b.manufacturerId), b]));

  it('pilot-4+7: one winner, the lowest; writes nothing but a round.simulated event without prices', async () => {
    const before = await written();
    const results = (await x.api.get(`/v1/rounds/${roundId}/results`, x.alliance.h)).body;
    const res = await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'pilot-4+7' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.rules).toMatchObject({ preset: 'pilot-4+7', maxWinners: [[1, 1]], spreadCap: null, noticeMinutes: 0 });
    expect(res.body.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7960', weightedDrop: '0.7960' });
    expect(res.body.items[0]).toMatchObject({
      itemCode: 'ATV20', outcome: 'awarded', eligibleBidders: 5, lowest: '0.5100', anchor: '0.5100', maxWinners: 1,
      agreedVolumeRatio: '0.6000', totalDemand: 25999, priceDrop: '0.7960',
    });
    const by = bidsBy(res.body);
    expect(by.M2).toMatchObject({ candidateBy: 'lowest', rank: 1, winner: true, comparableUnitPrice: '0.5100' });
    for (const k of ['M1', 'M3', 'M4', 'M6'] as const) expect(by[k]).toMatchObject({ eligible: true, candidateBy: null, rank: null, winner: false });
    expect(by.M5).toMatchObject({ eligible: false, reason: 'quality_tier', winner: false });
    // Nothing changed: the round's results, its tables, its state.
    expect(await written()).toEqual(before);
    expect((await x.api.get(`/v1/rounds/${roundId}/results`, x.alliance.h)).body).toEqual(results);
    const events = await x.t.db.query<{ actor: string; data: { rules: Record<string, unknown> } }>(
      `SELECT actor, data FROM audit_events WHERE chain = $1 AND type = 'round.simulated' UNION ALL
       SELECT actor, data FROM audit_pending WHERE chain = $1 AND type = 'round.simulated'`, [roundId]);
    expect(events).toEqual([{ actor: x.alliance.id, data: { rules: res.body.rules } }]);
    expect(JSON.stringify(events)).not.toMatch(/0\.51|4\.2|16\.8/);
  });

  it('anchor-2025: half-mean anchor, no drop test; the preference of M3, a winner under both rule sets, is used', async () => {
    const res = await x.api.loose.post(url(), op, { rules: { preset: 'anchor-2025' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7814', weightedDrop: '0.7871' });
    expect(res.body.items[0]).toMatchObject({ lowest: '0.5100', anchor: '0.5100', maxWinners: 4, agreedVolumeRatio: '0.7000', priceDrop: '0.7814' });
    const by = bidsBy(res.body);
    expect(by.M2).toMatchObject({ candidateBy: 'lowest', rank: 1, winner: true });
    expect(by.M3).toMatchObject({ candidateBy: 'spread', rank: 2, winner: true });
    expect(by.M1).toMatchObject({ candidateBy: 'spread', rank: 3, winner: true });
    expect(by.M4).toMatchObject({ eligible: true, candidateBy: null, rank: null, winner: false });
    expect(by.M6).toMatchObject({ eligible: true, candidateBy: null, rank: null, winner: false });
  });

  it('overrides as at creation: nvbp with a lower spread cap', async () => {
    // spreadCap 1.1: 0.561 holds M3 (0.5294) but not M1 (0.60, whose drop 1 − 0.6/3 = 0.8 ≥ 0.5 holds); M4 drop; M6 the highest.
    const res = await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'nvbp', spreadCap: '1.1' } });
    expect(res.status).toBe(200);
    const by = bidsBy(res.body);
    expect([by.M2.candidateBy, by.M3.candidateBy, by.M1.candidateBy, by.M4.candidateBy, by.M6.candidateBy]).toEqual(['lowest', 'spread', 'drop', 'drop', null]);
  });

  it("the round's own rules give the round's results, and after award its weightedDrop too", async () => {
    const round = (await x.api.get(`/v1/rounds/${roundId}`, op)).body;
    const opened = (await x.api.get(`/v1/rounds/${roundId}/results`, op)).body;
    const before = await x.api.loose.post(url(), x.alliance.h, { rules: round.rules });
    expect(before.body.items).toEqual(opened.items);
    // Before award the simulation already tells the weightedDrop award will give (DOMAIN.md worked example: 0.7682).
    expect(before.body.round).toEqual({ ...opened.round, weightedDrop: '0.7682' });
    expect((await x.api.post(`/v1/rounds/${roundId}/award`, x.alliance.h)).status).toBe(200);
    const awarded = (await x.api.get(`/v1/rounds/${roundId}/results`, op)).body;
    const after = await x.api.loose.post(url(), x.alliance.h, { rules: round.rules });
    expect(after.status).toBe(200);
    expect({ round: after.body.round, items: after.body.items }).toEqual(awarded);
    // Simulating on an awarded round leaves its allocations and agreements as they were.
    const agreements = (await x.api.get(`/v1/rounds/${roundId}/agreements`, x.alliance.h)).body.data;
    expect(agreements.map((g) => [keyOf(x.h, g.hospitalId), keyOf(x.m, g.manufacturerId), g.agreedQuantity]).sort())
      .toEqual([['h1', 'M2', 8000], ['h2', 'M1', 4800], ['h3', 'M2', 4000], ['h4', 'M4', 2400], ['h5', 'M3', 1599]]);
    const pilot = await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'pilot-4+7' } });
    expect(pilot.body.round.weightedDrop).toBe('0.7960');
    expect((await x.api.get(`/v1/rounds/${roundId}/results`, op)).body).toEqual(awarded);
  });

  it('who may: 401, 404 for another alliance, 403 for hospitals and manufacturers; bad rules 400/422, writing nothing', async () => {
    const events = () => count(x.t.db, 'audit_pending', `type = 'round.simulated'`).then(async (n) => n + await count(x.t.db, 'audit_events', `type = 'round.simulated'`));
    const before = await events();
    const body = { rules: { preset: 'nvbp' } };
    const other = await org(x.api, { kind: 'alliance', name: '川', regionCode: '510000', regionCodes: ['510000'] });
    expectProblem(await x.api.loose.post(url(), {}, body), 401, 'unauthorized');
    expectProblem(await x.api.loose.post(url(), other.h, body), 404, 'not-found');
    expectProblem(await x.api.loose.post(url(), x.h.h1.h, body), 403, 'forbidden');
    expectProblem(await x.api.loose.post(url(), x.m.M2.h, body), 403, 'forbidden');
    expectProblem(await x.api.loose.post('/v1/rounds/rnd_missing/simulations', op, body), 404, 'not-found');
    expectProblem(await x.api.loose.post(url(), x.alliance.h, {}), 400, 'validation');
    expectProblem(await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'nope' } }), 400, 'validation');
    expectProblem(await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'nvbp' }, extra: true }), 400, 'validation');
    const unknown = expectProblem(await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'nvbp', spreadcap: '2' } }), 422, 'validation');
    expect(unknown.errors).toEqual([{ path: '/rules/spreadcap', message: 'is not a known rule' }]);
    const wrong = expectProblem(await x.api.loose.post(url(), x.alliance.h, { rules: { preset: 'nvbp', spreadCap: 1.8 } }), 422, 'validation');
    expect(wrong.errors[0].path).toBe('/rules/spreadCap');
    expect(await events()).toBe(before);
  });
});
