import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op } from '../helpers.js';
import { chainOf, maker, open, round, world, type Maker, type Round, type World } from './round-fixture.js';

/** DOMAIN.md "Enquiries (答疑)": asked in demand or bidding before bidClosesAt, answered and corrected until then. */
describe('enquiries', () => {
  let w: World;
  let m1: Maker, m2: Maker;
  let r: Round;
  let enquiryId: string;
  const url = () => `/v1/rounds/${r.id}/enquiries`;
  const answer = (eid: string) => `/v1/rounds/${r.id}/enquiries/${eid}/answer`;

  beforeAll(async () => {
    w = await world();
    [m1, m2] = [await maker(w), await maker(w)];
    r = await round(w, { state: 'demand' });
  });
  afterAll(async () => { await w?.t.close(); });

  describe('POST /v1/rounds/{id}/enquiries', () => {
    it('a manufacturer asks about the round or an item while in demand: 201, unanswered, an audit event', async () => {
      const res = await w.api.loose.post(url(), m1.h, { itemCode: 'ATV20', question: 'Does the 10 mg strength count?' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String), itemCode: 'ATV20', question: 'Does the 10 mg strength count?', askedAt: w.t.clock.now().toISOString(),
        answer: null, answeredAt: null, askedBy: m1.id,
      });
      enquiryId = res.body.id;
      const general = await w.api.loose.post(url(), m2.h, { question: 'When are deliveries expected to start?' });
      expect(general.status).toBe(201);
      expect(general.body).toMatchObject({ itemCode: null, askedBy: m2.id });
      expect((await chainOf(w, r.id)).filter((e) => e.type === 'enquiry.asked').map((e) => e.actor)).toEqual([m1.id, m2.id]);
    });

    it('who may: 401, 404 for an invisible round, 403 for other roles, writing nothing', async () => {
      const before = await count(w.t.db, 'enquiries');
      const body = { question: 'q' };
      expectProblem(await w.api.loose.post(url(), {}, body), 401, 'unauthorized');
      expectProblem(await w.api.loose.post(url(), w.otherAlliance.h, body), 404, 'not-found');
      for (const h of [w.alliance.h, op, w.hospitals.gz1.h]) expectProblem(await w.api.loose.post(url(), h, body), 403, 'forbidden');
      const draft = await round(w, { state: 'draft' });
      expectProblem(await w.api.loose.post(`/v1/rounds/${draft.id}/enquiries`, m1.h, body), 404, 'not-found');
      expect(await count(w.t.db, 'enquiries')).toBe(before);
    });

    it('bad input: 400 malformed, 422 for an item the round does not hold, writing nothing', async () => {
      const before = await count(w.t.db, 'enquiries');
      expectProblem(await w.api.loose.post(url(), m1.h, {}), 400, 'validation');
      expectProblem(await w.api.loose.post(url(), m1.h, { question: '' }), 400, 'validation');
      expectProblem(await w.api.loose.post(url(), m1.h, { question: 'x'.repeat(4001) }), 400, 'validation');
      expectProblem(await w.api.loose.post(url(), m1.h, { question: 'q', askedBy: 'me' }), 400, 'validation');
      expectProblem(await w.api.loose.post(url(), m1.h, { question: 'q', itemCode: 'bad code!' }), 400, 'validation');
      const p = expectProblem(await w.api.loose.post(url(), m1.h, { question: 'q', itemCode: 'NOPE' }), 422, 'validation');
      expect(p.errors).toEqual([{ path: '/itemCode', message: 'no such item in this round' }]);
      expect(await count(w.t.db, 'enquiries')).toBe(before);
    });
  });

  describe('PUT /v1/rounds/{id}/enquiries/{eid}/answer', () => {
    it('the alliance answers, then corrects its answer', async () => {
      const res = await w.api.loose.put(answer(enquiryId), w.alliance.h, { answer: 'Yes, converted at r = 1.7.' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ id: enquiryId, answer: 'Yes, converted at r = 1.7.', answeredAt: w.t.clock.now().toISOString(), askedBy: m1.id });
      w.t.clock.advance(60_000);
      const fixed = await w.api.loose.put(answer(enquiryId), w.alliance.h, { answer: 'Yes, converted at the item\'s r (1.7).' });
      expect(fixed.body).toMatchObject({ answer: 'Yes, converted at the item\'s r (1.7).', answeredAt: w.t.clock.now().toISOString() });
      expect((await chainOf(w, r.id)).filter((e) => e.type.startsWith('enquiry.a') || e.type === 'enquiry.corrected').map((e) => e.type))
        .toEqual(['enquiry.asked', 'enquiry.asked', 'enquiry.answered', 'enquiry.corrected']);
    });

    it('who may and bad input: 401, 404, 403, 400, writing nothing', async () => {
      const body = { answer: 'a' };
      expectProblem(await w.api.loose.put(answer(enquiryId), {}, body), 401, 'unauthorized');
      expectProblem(await w.api.loose.put(answer(enquiryId), w.otherAlliance.h, body), 404, 'not-found');
      for (const h of [op, m1.h, w.hospitals.gz1.h]) expectProblem(await w.api.loose.put(answer(enquiryId), h, body), 403, 'forbidden');
      expectProblem(await w.api.loose.put(answer('enq_missing'), w.alliance.h, body), 404, 'not-found');
      expectProblem(await w.api.loose.put(answer(enquiryId), w.alliance.h, { answer: '' }), 400, 'validation');
      expectProblem(await w.api.loose.put(answer(enquiryId), w.alliance.h, {}), 400, 'validation');
      expect((await w.api.loose.get(url(), op)).body.data[0].answer).toBe('Yes, converted at the item\'s r (1.7).');
    });
  });

  describe('GET /v1/rounds/{id}/enquiries', () => {
    it('every participant reads every question and answer; askedBy only the alliance, the operator and the asker', async () => {
      const askedBy = async (h: Record<string, string>) => {
        const res = await w.api.loose.get(url(), h);
        expect(res.status).toBe(200);
        expect(res.body.data.map((e: { question: string }) => e.question)).toEqual(['Does the 10 mg strength count?', 'When are deliveries expected to start?']);
        return res.body.data.map((e: { askedBy: string | null }) => e.askedBy);
      };
      expect(await askedBy(w.alliance.h)).toEqual([m1.id, m2.id]);
      expect(await askedBy(op)).toEqual([m1.id, m2.id]);
      expect(await askedBy(m1.h)).toEqual([m1.id, null]);
      expect(await askedBy(m2.h)).toEqual([null, m2.id]);
      expect(await askedBy(w.hospitals.nj.h)).toEqual([null, null]);
      expectProblem(await w.api.loose.get(url(), w.hospitals.sc.h), 404, 'not-found');
      expectProblem(await w.api.loose.get(url(), {}), 401, 'unauthorized');
      expectProblem(await w.api.loose.get(`${url()}?cursor=zzz`, op), 400, 'validation');
    });
  });

  describe('the bid window closes enquiries', () => {
    it('in bidding they go on; at bidClosesAt asking and answering are 409 invalid-state', async () => {
      expect((await w.api.post(`/v1/rounds/${r.id}/start-bidding`, w.alliance.h)).status).toBe(200);
      const res = await w.api.loose.post(url(), m2.h, { itemCode: 'ATV20', question: 'Is the pack of 28 allowed?' });
      expect(res.status).toBe(201);
      w.t.clock.set(r.closesAt);
      const before = await count(w.t.db, 'enquiries');
      expectProblem(await w.api.loose.post(url(), m1.h, { question: 'late' }), 409, 'invalid-state');
      expectProblem(await w.api.loose.put(answer(res.body.id), w.alliance.h, { answer: 'late' }), 409, 'invalid-state');
      await open(w, r);
      expectProblem(await w.api.loose.post(url(), m1.h, { question: 'after opening' }), 409, 'invalid-state');
      expect(await count(w.t.db, 'enquiries')).toBe(before);
      expect(await count(w.t.db, 'enquiries', 'answer IS NULL AND round_id = $1', [r.id])).toBe(2);
    });
  });
});
