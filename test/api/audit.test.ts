import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op } from '../helpers.js';
import { award, bid, maker, open, round, world, type Round, type World } from './round-fixture.js';

/** API.md "Reports, export, audit" (audit) and DOMAIN.md "Integrity": per-round hash chains anyone allowed can verify. */
describe('audit API', () => {
  let w: World;
  let r: Round;
  const GENESIS = '0'.repeat(64);

  const hashOf = (prevHash: string, e: any) => createHash('sha256')
    .update(prevHash + canonicalize({ seq: e.seq, type: e.type, at: e.at, actor: e.actor, data: e.data }), 'utf8').digest('hex');

  /** Every event of the round's chain, page by page. */
  async function allEvents(h: Record<string, string>, roundId = r.id, limit = 3) {
    const events: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await w.c.get(`/v1/rounds/${roundId}/audit?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, h);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      events.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    return events;
  }

  /** Recomputes the chain the way DOMAIN.md says; returns the first seq that does not verify, or null. */
  function firstBroken(events: any[]): number | null {
    let prev = GENESIS;
    for (const [i, e] of events.entries()) {
      if (e.seq !== i + 1 || e.prevHash !== prev || hashOf(prev, e) !== e.hash) return e.seq;
      prev = e.hash;
    }
    return null;
  }

  beforeAll(async () => {
    w = await world();
    const m1 = await maker(w), m2 = await maker(w, [{ mg: '10', pack: 14 }]);
    r = await round(w, { demand: [['gz1', 'ATV20', 1000], ['nj', 'ATV20', 500]] });
    await bid(w, m1, r, 'ATV20', '6.00');
    await bid(w, m2, r, 'ATV20', '4.20');
    await bid(w, m1, r, 'ATV20', '5.90');
    await open(w, r);
    await award(w, r);
  });
  afterAll(async () => { await w?.t.close(); });

  describe('GET /v1/rounds/{id}/audit', () => {
    it('returns the round chain with seq, type, at, actor, data, prevHash and hash, and every hash recomputes', async () => {
      const events = await allEvents(w.alliance.h);
      expect(events.length).toBeGreaterThanOrEqual(9);
      for (const e of events) expect(Object.keys(e).sort()).toEqual(['actor', 'at', 'data', 'hash', 'prevHash', 'seq', 'type']);
      expect(events[0]).toMatchObject({ seq: 1, type: 'round.created', prevHash: GENESIS, actor: w.alliance.id });
      expect(firstBroken(events)).toBeNull();
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['round.demand', 'round.bidding', 'bid.submitted', 'bid.replaced', 'round.opened', 'round.awarded']));
      const types = events.map((e) => e.type);
      expect(types.indexOf('round.bidding')).toBeLessThan(types.indexOf('bid.submitted'));
      expect(types.lastIndexOf('bid.replaced')).toBeLessThan(types.indexOf('round.opened'));
      expect(types.indexOf('round.opened')).toBeLessThan(types.indexOf('round.awarded'));
      for (const e of events) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      // The operator reads the same chain in one page.
      const whole = await w.c.get(`/v1/rounds/${r.id}/audit`, op);
      expect(whole.body).toEqual({ data: events, nextCursor: null });
    });

    it('authorises: alliance and operator only; 404 for another alliance; 400 for bad paging', async () => {
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit`, {}), 401, 'unauthorized');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit`, w.hospitals.gz1.h), 403, 'forbidden');
      const m = await maker(w);
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit`, m.h), 403, 'forbidden');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit`, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit`, w.hospitals.sc.h), 404, 'not-found');
      expectProblem(await w.c.get(`/v1/rounds/rnd_missing/audit`, op), 404, 'not-found');
      const draft = await round(w, { state: 'draft' });
      expectProblem(await w.c.get(`/v1/rounds/${draft.id}/audit`, m.h), 404, 'not-found');
      expect((await w.c.get(`/v1/rounds/${draft.id}/audit`, w.alliance.h)).body.data.map((e: any) => e.type)).toEqual(['round.created', 'item.added']);
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit?limit=0`, op), 400, 'validation');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit?limit=1001`, op), 400, 'validation');
      expectProblem(await w.c.get(`/v1/rounds/${r.id}/audit?cursor=not-ours`, op), 400, 'validation');
    });
  });

  describe('GET /v1/audit/verify', () => {
    it('verifies every chain the caller may read: the operator all, an alliance its rounds', async () => {
      const events = await allEvents(w.alliance.h);
      const v = await w.c.get('/v1/audit/verify', op);
      expect(v.status).toBe(200);
      expect(v.body.ok).toBe(true);
      expect(v.body.brokenAt).toBeUndefined();
      expect(v.body.chains.map((x: any) => x.chain)).toEqual(expect.arrayContaining(['platform', r.id]));
      expect(v.body.chains.find((x: any) => x.chain === r.id)).toEqual({ chain: r.id, ok: true, events: events.length, head: events.at(-1).hash });
      const one = await w.c.get(`/v1/audit/verify?roundId=${r.id}`, w.alliance.h);
      expect(one.body).toMatchObject({ ok: true, events: events.length, head: events.at(-1).hash });
      // An alliance verifies its own rounds, not the platform chain.
      const own = await w.c.get('/v1/audit/verify', w.alliance.h);
      expect(own.body.ok).toBe(true);
      expect(own.body.chains.map((x: any) => x.chain)).not.toContain('platform');
      expect(own.body.chains.map((x: any) => x.chain)).toContain(r.id);
    });

    it('authorises: alliance and operator only; 404 for a round of another alliance', async () => {
      const m = await maker(w);
      expectProblem(await w.c.get('/v1/audit/verify', {}), 401, 'unauthorized');
      expectProblem(await w.c.get('/v1/audit/verify', w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await w.c.get('/v1/audit/verify', m.h), 403, 'forbidden');
      expectProblem(await w.c.get(`/v1/audit/verify?roundId=${r.id}`, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.c.get('/v1/audit/verify?roundId=rnd_missing', op), 404, 'not-found');
    });

    it('detects an event whose data was changed in the database, naming the chain and seq', async () => {
      const before = await allEvents(op, r.id, 100);
      const target = before.find((e) => e.type === 'round.opened');
      await w.t.db.query(`UPDATE audit_events SET data = jsonb_set(data, '{bids}', '99') WHERE chain = $1 AND seq = $2`, [r.id, target.seq]);
      // The test's own recomputation sees it ...
      expect(firstBroken(await allEvents(op, r.id, 100))).toBe(target.seq);
      // ... and so does the server, for the operator and for the round's alliance.
      const v = await w.c.get('/v1/audit/verify', op);
      expect(v.status).toBe(200);
      expect(v.body.ok).toBe(false);
      expect(v.body.brokenAt).toMatchObject({ chain: r.id, seq: target.seq });
      const a = await w.c.get(`/v1/audit/verify?roundId=${r.id}`, w.alliance.h);
      expect(a.body).toMatchObject({ ok: false, brokenAt: { chain: r.id, seq: target.seq } });

      await w.t.db.query('UPDATE audit_events SET data = $3::text::jsonb WHERE chain = $1 AND seq = $2', [r.id, target.seq, JSON.stringify(target.data)]);
      const restored = await w.c.get('/v1/audit/verify', op);
      expect(restored.body.ok, JSON.stringify(restored.body)).toBe(true);
    });

    it('detects a changed hash link and a removed event', async () => {
      const events = await allEvents(op, r.id, 100);
      const second = events[1];
      await w.t.db.query('UPDATE audit_events SET prev_hash = $3 WHERE chain = $1 AND seq = $2', [r.id, second.seq, GENESIS]);
      expect((await w.c.get(`/v1/audit/verify?roundId=${r.id}`, op)).body).toMatchObject({ ok: false, brokenAt: { chain: r.id, seq: 2 } });
      await w.t.db.query('UPDATE audit_events SET prev_hash = $3 WHERE chain = $1 AND seq = $2', [r.id, second.seq, second.prevHash]);

      const last = events.at(-1);
      await w.t.db.query('DELETE FROM audit_events WHERE chain = $1 AND seq = $2', [r.id, last.seq]);
      expect(await count(w.t.db, 'audit_events', 'chain = $1', [r.id])).toBe(events.length - 1);
      const v = await w.c.get('/v1/audit/verify', op);
      expect(v.body.ok).toBe(false);
      expect(v.body.brokenAt).toMatchObject({ chain: r.id, seq: last.seq });
      expect((await w.c.get(`/v1/audit/verify?roundId=${r.id}`, w.alliance.h)).body).toMatchObject({ ok: false, brokenAt: { chain: r.id, seq: last.seq } });
    });

    it('covers the platform chain: a changed organization event is reported under "platform"', async () => {
      const [e] = await w.t.db.query<{ seq: number; data: any }>(`SELECT seq, data FROM audit_events WHERE chain = 'platform' ORDER BY seq LIMIT 1`);
      await w.t.db.query(`UPDATE audit_events SET actor = 'someone-else' WHERE chain = 'platform' AND seq = $1`, [e.seq]);
      const v = await w.c.get('/v1/audit/verify', op);
      expect(v.body.ok).toBe(false);
      expect(v.body.chains.find((x: any) => x.chain === 'platform').ok).toBe(false);
      expect(v.body.brokenAt).toMatchObject({ chain: 'platform', seq: e.seq });
    });
  });
});
