import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op } from '../helpers.js';
import { bid, chainOf, maker, open, outcomeOf, round, world, type Maker, type Round, type World } from './round-fixture.js';

/**
 * DOMAIN.md "Notice period and objections (公示与异议)": a notice period of
 * rules.noticeMinutes after opening, objections filed by bidders during it and
 * decided once by the alliance; award waits for both.
 *
 * The round: A 5.00, B 6.00, C 7.00 per 10 tablets of 20 mg (comparable 0.5, 0.6, 0.7); D bids nothing.
 * n = 3: C is the highest (excluded), maxWinners(3) = 2: A rank 1 (lowest), B rank 2 (spread 0.6 ≤ 0.9), ratio 0.6000.
 * Upheld against A: n = 2, B the lowest and C the highest (excluded): B alone, ratio 0.5000, priceDrop 1 − 0.6/2.5 = 0.7600.
 */
describe('objections', () => {
  let w: World;
  let a: Maker, b: Maker, cm: Maker, d: Maker;
  let r: Round;
  let openedAt: Date;
  let objectionId: string;
  const url = () => `/v1/rounds/${r.id}/objections`;
  const MINUTE = 60_000;

  beforeAll(async () => {
    w = await world();
    [a, b, cm, d] = [await maker(w), await maker(w), await maker(w), await maker(w)];
    r = await round(w, { rules: { preset: 'nvbp', noticeMinutes: 60 }, demand: [['gz1', 'ATV20', 1000], ['nj', 'ATV20', 500]] });
    await bid(w, a, r, 'ATV20', '5.00');
    await bid(w, b, r, 'ATV20', '6.00');
    await bid(w, cm, r, 'ATV20', '7.00');
  });
  afterAll(async () => { await w?.t.close(); });

  describe('POST /v1/rounds/{id}/objections', () => {
    it('is refused before opening: 409 notice-closed', async () => {
      expectProblem(await w.api.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: a.id, reason: 'too cheap to be real' }), 409, 'notice-closed');
    });

    it('opening starts the notice period of noticeMinutes: noticeEndsAt on the round', async () => {
      const results = await open(w, r);
      expect(outcomeOf(results, 'ATV20', a.id)).toMatchObject({ winner: true, rank: 1 });
      expect(outcomeOf(results, 'ATV20', b.id)).toMatchObject({ winner: true, rank: 2 });
      const round = (await w.api.get(`/v1/rounds/${r.id}`, op)).body;
      openedAt = new Date(round.openedAt!);
      expect(round.noticeEndsAt).toBe(new Date(openedAt.getTime() + 60 * MINUTE).toISOString());
      expect(round.rules.noticeMinutes).toBe(60);
      expect((await w.api.put(`/v1/rounds/${r.id}/region-preferences/ATV20`, a.h, { regionCodes: ['320000'] })).status).toBe(200);
    });

    it('is filed by a bidder on the item against another bid: 201 pending, an audit event', async () => {
      const res = await w.api.loose.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: a.id, reason: 'the product is not the one registered' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String), itemCode: 'ATV20', manufacturerId: a.id, reason: 'the product is not the one registered', state: 'pending',
        decisionReason: null, filedAt: openedAt.toISOString(), decidedAt: null, filedBy: b.id,
      });
      objectionId = res.body.id;
      const ev = (await chainOf(w, r.id)).find((e) => e.type === 'objection.filed')!;
      expect(ev).toMatchObject({ actor: b.id, data: { objectionId, itemCode: 'ATV20', manufacturerId: a.id, filedBy: b.id } });
    });

    it('who may: 401, 404 outside, 403 for other roles and for a manufacturer without a bid on the item, writing nothing', async () => {
      const body = { itemCode: 'ATV20', manufacturerId: a.id, reason: 'x' };
      const before = await count(w.t.db, 'objections');
      expectProblem(await w.api.loose.post(url(), {}, body), 401, 'unauthorized');
      expectProblem(await w.api.loose.post(url(), w.otherAlliance.h, body), 404, 'not-found');
      expectProblem(await w.api.loose.post(url(), w.alliance.h, body), 403, 'forbidden');
      expectProblem(await w.api.loose.post(url(), w.hospitals.gz1.h, body), 403, 'forbidden');
      expectProblem(await w.api.loose.post(url(), op, body), 403, 'forbidden');
      expectProblem(await w.api.loose.post(url(), d.h, body), 403, 'forbidden');
      expectProblem(await w.api.loose.post(url(), b.h, { ...body, itemCode: 'NOPE' }), 403, 'forbidden');
      expectProblem(await w.api.loose.post('/v1/rounds/rnd_missing/objections', b.h, body), 404, 'not-found');
      expect(await count(w.t.db, 'objections')).toBe(before);
    });

    it('bad input: 400 for a malformed body, 422 against its own bid or a manufacturer without a bid, writing nothing', async () => {
      const before = await count(w.t.db, 'objections');
      expectProblem(await w.api.loose.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: a.id }), 400, 'validation');
      expectProblem(await w.api.loose.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: a.id, reason: '' }), 400, 'validation');
      expectProblem(await w.api.loose.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: a.id, reason: 'x', extra: 1 }), 400, 'validation');
      expectProblem(await w.api.raw('POST', url(), b.h, '{"itemCode":', 'application/json'), 400);
      const own = expectProblem(await w.api.loose.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: b.id, reason: 'x' }), 422, 'validation');
      expect(own.errors).toEqual([{ path: '/manufacturerId', message: 'is your own bid' }]);
      const none = expectProblem(await w.api.loose.post(url(), b.h, { itemCode: 'ATV20', manufacturerId: d.id, reason: 'x' }), 422, 'validation');
      expect(none.errors).toEqual([{ path: '/manufacturerId', message: 'has no bid on this item' }]);
      expect(await count(w.t.db, 'objections')).toBe(before);
    });
  });

  describe('POST /v1/rounds/{id}/award during the notice period', () => {
    it('is refused with 409 notice-period while the period runs', async () => {
      expectProblem(await w.api.post(`/v1/rounds/${r.id}/award`, w.alliance.h), 409, 'notice-period');
      expect((await w.api.get(`/v1/rounds/${r.id}`, op)).body.state).toBe('opened');
    });
  });

  describe('GET /v1/rounds/{id}/objections', () => {
    it('every participant reads them; filedBy only the alliance, the operator and the objector', async () => {
      // A second objection, by C against B, filed one minute before the period ends.
      w.t.clock.set(new Date(openedAt.getTime() + 59 * MINUTE));
      expect((await w.api.loose.post(url(), cm.h, { itemCode: 'ATV20', manufacturerId: b.id, reason: 'late delivery history' })).status).toBe(201);
      const filedBy = async (h: Record<string, string>) => {
        const res = await w.api.loose.get(url(), h);
        expect(res.status).toBe(200);
        return res.body.data.map((o: { filedBy: string | null }) => o.filedBy);
      };
      expect(await filedBy(w.alliance.h)).toEqual([b.id, cm.id]);
      expect(await filedBy(op)).toEqual([b.id, cm.id]);
      expect(await filedBy(b.h)).toEqual([b.id, null]);
      expect(await filedBy(cm.h)).toEqual([null, cm.id]);
      expect(await filedBy(a.h)).toEqual([null, null]);
      expect(await filedBy(d.h)).toEqual([null, null]);
      expect(await filedBy(w.hospitals.gz1.h)).toEqual([null, null]);
      expectProblem(await w.api.loose.get(url(), w.hospitals.sc.h), 404, 'not-found');
      expectProblem(await w.api.loose.get(url(), w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.api.loose.get(url(), {}), 401, 'unauthorized');
      expectProblem(await w.api.loose.get(`${url()}?limit=0`, op), 400, 'validation');
      const page = await w.api.loose.get(`${url()}?limit=1`, op);
      expect(page.body.data).toHaveLength(1);
      const next = await w.api.loose.get(`${url()}?limit=1&cursor=${page.body.nextCursor}`, op);
      expect(next.body).toMatchObject({ data: [{ manufacturerId: b.id }], nextCursor: null });
    });

    it('closes at noticeEndsAt: 409 notice-closed', async () => {
      w.t.clock.set(new Date(openedAt.getTime() + 60 * MINUTE));
      expectProblem(await w.api.loose.post(url(), a.h, { itemCode: 'ATV20', manufacturerId: b.id, reason: 'x' }), 409, 'notice-closed');
    });

    it('award is still refused while an objection is undecided', async () => {
      expectProblem(await w.api.post(`/v1/rounds/${r.id}/award`, w.alliance.h), 409, 'notice-period');
    });
  });

  describe('POST /v1/rounds/{id}/objections/{oid}/decision', () => {
    const decision = (oid: string) => `/v1/rounds/${r.id}/objections/${oid}/decision`;

    it('who may, and bad input: 401, 404, 403, 400, writing nothing', async () => {
      const body = { decision: 'upheld', reason: 'confirmed' };
      expectProblem(await w.api.loose.post(decision(objectionId), {}, body), 401, 'unauthorized');
      expectProblem(await w.api.loose.post(decision(objectionId), w.otherAlliance.h, body), 404, 'not-found');
      for (const h of [op, a.h, b.h, w.hospitals.gz1.h]) expectProblem(await w.api.loose.post(decision(objectionId), h, body), 403, 'forbidden');
      expectProblem(await w.api.loose.post(decision('obj_missing'), w.alliance.h, body), 404, 'not-found');
      expectProblem(await w.api.loose.post(decision(objectionId), w.alliance.h, { decision: 'maybe', reason: 'x' }), 400, 'validation');
      expectProblem(await w.api.loose.post(decision(objectionId), w.alliance.h, { decision: 'upheld' }), 400, 'validation');
      expect(await count(w.t.db, 'objections', `state <> 'pending'`)).toBe(0);
    });

    it('upheld: the bid becomes ineligible (objection_upheld), the item is evaluated again, preferences of former winners dropped', async () => {
      const res = await w.api.loose.post(decision(objectionId), w.alliance.h, { decision: 'upheld', reason: 'the registration does not match' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ id: objectionId, state: 'upheld', decisionReason: 'the registration does not match', decidedAt: w.t.clock.now().toISOString(), filedBy: b.id });
      const results = (await w.api.get(`/v1/rounds/${r.id}/results`, w.hospitals.gz1.h)).body;
      expect(results.items[0]).toMatchObject({
        outcome: 'awarded', eligibleBidders: 2, lowest: '0.6000', anchor: '0.6000', maxWinners: 2, agreedVolumeRatio: '0.5000', priceDrop: '0.7600', totalDemand: 1500,
      });
      expect(outcomeOf(results, 'ATV20', a.id)).toMatchObject({ eligible: false, reason: 'objection_upheld', candidateBy: null, rank: null, winner: false, packagePrice: '5.0000' });
      expect(outcomeOf(results, 'ATV20', b.id)).toMatchObject({ eligible: true, reason: null, candidateBy: 'lowest', rank: 1, winner: true });
      expect(outcomeOf(results, 'ATV20', cm.id)).toMatchObject({ eligible: true, candidateBy: null, rank: null, winner: false });
      expect(results.round).toEqual({ items: 1, awardedItems: 1, averageDrop: '0.7600', weightedDrop: null });
      expect(await count(w.t.db, 'region_preferences', 'round_id = $1', [r.id])).toBe(0);
      const chain = await chainOf(w, r.id);
      expect(chain.find((e) => e.type === 'objection.decided')).toMatchObject({ actor: w.alliance.id, data: { objectionId, decision: 'upheld' } });
      expect(chain.find((e) => e.type === 'item.reevaluated')).toMatchObject({ data: { itemCode: 'ATV20', winners: [b.id], droppedPreferences: [a.id] } });
    });

    it('decides once: 409 invalid-state the second time', async () => {
      expectProblem(await w.api.loose.post(decision(objectionId), w.alliance.h, { decision: 'dismissed', reason: 'x' }), 409, 'invalid-state');
    });

    it('dismissed: nothing changes but the objection; then award proceeds with the re-evaluated winners', async () => {
      const [{ id }] = (await w.api.loose.get(url(), op)).body.data.filter((o: { state: string }) => o.state === 'pending');
      const before = (await w.api.get(`/v1/rounds/${r.id}/results`, op)).body;
      const res = await w.api.loose.post(decision(id), w.alliance.h, { decision: 'dismissed', reason: 'no evidence' });
      expect(res.body).toMatchObject({ state: 'dismissed', decisionReason: 'no evidence', filedBy: cm.id });
      expect((await w.api.get(`/v1/rounds/${r.id}/results`, op)).body).toEqual(before);
      const award = await w.api.post(`/v1/rounds/${r.id}/award`, w.alliance.h);
      expect(award.status, JSON.stringify(award.body)).toBe(200);
      const agreements = (await w.api.get(`/v1/rounds/${r.id}/agreements`, w.alliance.h)).body.data;
      expect(agreements.map((g) => [g.manufacturerId, g.agreedQuantity]).sort()).toEqual([[b.id, 250], [b.id, 500]]);
    });

    it('after award: 409 invalid-state', async () => {
      expectProblem(await w.api.loose.post(decision(objectionId), w.alliance.h, { decision: 'upheld', reason: 'x' }), 409, 'invalid-state');
    });
  });

  describe('a round without a notice period', () => {
    it('has noticeEndsAt null, takes no objection (409 notice-closed) and awards at once', async () => {
      const r0 = await round(w, { demand: [['gz1', 'ATV20', 100]] });
      await bid(w, a, r0, 'ATV20', '5.00');
      await bid(w, b, r0, 'ATV20', '6.00');
      await open(w, r0);
      expect((await w.api.get(`/v1/rounds/${r0.id}`, op)).body).toMatchObject({ state: 'opened', noticeEndsAt: null });
      expectProblem(await w.api.loose.post(`/v1/rounds/${r0.id}/objections`, b.h, { itemCode: 'ATV20', manufacturerId: a.id, reason: 'x' }), 409, 'notice-closed');
      expect((await w.api.post(`/v1/rounds/${r0.id}/award`, w.alliance.h)).status).toBe(200);
    });

    it('rejects a noticeMinutes that is no integer ≥ 0 (422)', async () => {
      const now = w.t.clock.now().getTime();
      const body = { name: 'x', bidOpensAt: new Date(now + 1000).toISOString(), bidClosesAt: new Date(now + 2000).toISOString(), contractMonths: 12 };
      for (const v of [-1, 1.5, '10', 10_000_000]) {
        const p = expectProblem(await w.api.loose.post('/v1/rounds', w.alliance.h, { ...body, rules: { preset: 'nvbp', noticeMinutes: v } }), 422, 'validation');
        expect(p.errors[0].path).toBe('/rules/noticeMinutes');
      }
    });
  });
});
