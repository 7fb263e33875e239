import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, expectProblem, op, type AuditEvent } from '../helpers.js';
import { maker, round, world, type Maker, type World } from './round-fixture.js';

/**
 * DOMAIN.md "Round lifecycle": one describe per transition route (POST /v1/rounds/{id}/publish, …),
 * each allowed from its states, refused from every other, and for the round's alliance only; the
 * bid-window checks of start-bidding and open; the lifecycle in the audit chain.
 */

type State = 'draft' | 'demand' | 'bidding' | 'opened' | 'awarded' | 'closed' | 'cancelled';
type Action = 'publish' | 'start-bidding' | 'open' | 'award' | 'close' | 'cancel';

const STATES: State[] = ['draft', 'demand', 'bidding', 'opened', 'awarded', 'closed', 'cancelled'];
const ACTIONS: Action[] = ['publish', 'start-bidding', 'open', 'award', 'close', 'cancel'];
// DOMAIN.md's transitions, written out here so a drift in src/rounds/lifecycle.ts fails.
const ALLOWED: Record<Action, { from: State[]; to: State }> = {
  publish: { from: ['draft'], to: 'demand' },
  'start-bidding': { from: ['demand'], to: 'bidding' },
  open: { from: ['bidding'], to: 'opened' },
  award: { from: ['opened'], to: 'awarded' },
  close: { from: ['awarded'], to: 'closed' },
  cancel: { from: ['draft', 'demand', 'bidding', 'opened'], to: 'cancelled' },
};
/** Every round starts from this clock, so its bid window is 2026-03-02 … 2026-03-11 (round-fixture: +1 and +10 days). */
const START = '2026-03-01T00:00:00Z';
const IN_WINDOW = '2026-03-05T00:00:00Z';
const CLOSES = '2026-03-11T00:00:00Z';

describe('round lifecycle', () => {
  let w: World;
  let m: Maker;
  /** One round in each state, shared by the refusal and authorisation tests of every route. */
  const ids = {} as Record<State, string>;

  /** A fresh round of the alliance with one item, driven to `state` through the API. */
  async function roundIn(state: State): Promise<string> {
    w.t.clock.set(START);
    const id = (await round(w, { state: state === 'cancelled' ? 'draft' : state === 'draft' || state === 'demand' ? state : 'bidding' })).id;
    if (state === 'cancelled') {
      expect((await w.api.post(`/v1/rounds/${id}/cancel`, w.alliance.h)).status).toBe(200);
      return id;
    }
    const after: [State, Action][] = [['opened', 'open'], ['awarded', 'award'], ['closed', 'close']];
    for (const [to, action] of after) {
      if (STATES.indexOf(state) < STATES.indexOf(to)) break;
      if (action === 'open') w.t.clock.set(CLOSES);
      const res = await w.c.post(`/v1/rounds/${id}/${action}`, w.alliance.h);
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect(await stateOf(id)).toBe(state);
    return id;
  }
  const stateOf = async (id: string) => (await w.api.get(`/v1/rounds/${id}`, op)).body.state;
  const events = (id: string) => count(w.t.db, 'audit_events', 'chain = $1', [id]);

  beforeAll(async () => {
    w = await world();
    m = await maker(w);
    for (const s of STATES) ids[s] = await roundIn(s);
  });
  afterAll(async () => { await w?.t.close(); });

  it('has the transition table of DOMAIN.md: each open state its next step and cancel, awarded only close, the ends none', () => {
    for (const state of STATES) {
      const allowed = ACTIONS.filter((action) => ALLOWED[action].from.includes(state));
      expect(allowed.length, state).toBe(['draft', 'demand', 'bidding', 'opened'].includes(state) ? 2 : state === 'awarded' ? 1 : 0);
    }
  });

  /** What every transition route shares. */
  function transitionRoute(action: Action) {
    it.each(ALLOWED[action].from)('from %s: allowed, and appends its audit event', async (from) => {
      const id = await roundIn(from);
      const before = await events(id);
      w.t.clock.set(action === 'open' ? CLOSES : IN_WINDOW);
      const res = await w.c.post(`/v1/rounds/${id}/${action}`, w.alliance.h);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const to = ALLOWED[action].to;
      if (action === 'open') expect(res.body.items.map((i: { itemCode: string }) => i.itemCode)).toEqual(['ATV20']);
      else expect(res.body).toMatchObject({ id, state: to });
      expect(await stateOf(id)).toBe(to);
      expect(await events(id)).toBe(before + 1);
      const audit = (await w.api.get(`/v1/rounds/${id}/audit?limit=1000`, w.alliance.h)).body.data;
      expect(audit.at(-1)).toMatchObject({ type: `round.${to}`, actor: w.alliance.id, data: expect.objectContaining({ from, to }) });
    });

    it('from every other state: 409 invalid-state, and the round and its chain stay as they were', async () => {
      const refused = STATES.filter((s) => !ALLOWED[action].from.includes(s));
      for (const state of refused) {
        const before = await events(ids[state]);
        w.t.clock.set(action === 'open' ? CLOSES : IN_WINDOW);
        expectProblem(await w.c.post(`/v1/rounds/${ids[state]}/${action}`, w.alliance.h), 409, 'invalid-state');
        expect(await stateOf(ids[state]), state).toBe(state);
        expect(await events(ids[state]), state).toBe(before);
      }
    });

    it("is for the round's alliance only: 401, 404 (another alliance; a draft for hospitals and manufacturers), 403", async () => {
      const { draft, demand } = ids;
      w.t.clock.set(IN_WINDOW);
      const url = (id: string) => `/v1/rounds/${id}/${action}`;
      expectProblem(await w.c.post(url(demand), {}), 401, 'unauthorized');
      expectProblem(await w.c.post(url(demand), w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.c.post(url(draft), w.hospitals.gz1.h), 404, 'not-found');
      expectProblem(await w.c.post(url(draft), m.h), 404, 'not-found');
      for (const who of [w.hospitals.gz1.h, m.h, op]) expectProblem(await w.c.post(url(demand), who), 403, 'forbidden');
      expectProblem(await w.c.post(url('rnd_missing'), w.alliance.h), 404, 'not-found');
      expect(await stateOf(draft)).toBe('draft');
      expect(await stateOf(demand)).toBe('demand');
    });
  }

  describe('POST /v1/rounds/{id}/publish', () => { transitionRoute('publish'); });

  describe('POST /v1/rounds/{id}/start-bidding', () => {
    transitionRoute('start-bidding');

    it('refuses start-bidding once now ≥ bidClosesAt', async () => {
      const id = await roundIn('demand');
      for (const now of [CLOSES, '2026-04-01T00:00:00Z']) {
        w.t.clock.set(now);
        expectProblem(await w.api.post(`/v1/rounds/${id}/start-bidding`, w.alliance.h), 409, 'bidding-closed');
        expect(await stateOf(id)).toBe('demand');
      }
      w.t.clock.set(new Date(new Date(CLOSES).getTime() - 1));
      expect((await w.api.post(`/v1/rounds/${id}/start-bidding`, w.alliance.h)).body.state).toBe('bidding');
    });
  });

  describe('POST /v1/rounds/{id}/open', () => {
    transitionRoute('open');

    it('refuses to open before bidClosesAt with bidding-not-closed', async () => {
      const id = await roundIn('bidding');
      const before = await events(id);
      for (const now of [IN_WINDOW, new Date(new Date(CLOSES).getTime() - 1).toISOString()]) {
        w.t.clock.set(now);
        expectProblem(await w.api.post(`/v1/rounds/${id}/open`, w.alliance.h), 409, 'bidding-not-closed');
      }
      expect(await stateOf(id)).toBe('bidding');
      expect(await events(id)).toBe(before);
      expect(await count(w.t.db, 'item_results', 'round_id = $1', [id])).toBe(0);
      w.t.clock.set(CLOSES);
      expect((await w.api.post(`/v1/rounds/${id}/open`, w.alliance.h)).status).toBe(200);
      expect(await stateOf(id)).toBe('opened');
    });
  });

  describe('POST /v1/rounds/{id}/award', () => { transitionRoute('award'); });
  describe('POST /v1/rounds/{id}/close', () => { transitionRoute('close'); });
  // Cancel is refused once awarded (awarded, closed, cancelled) by its refusal test.
  describe('POST /v1/rounds/{id}/cancel', () => { transitionRoute('cancel'); });

  describe('the lifecycle in the audit chain', () => {
    it('records the whole lifecycle as a verifiable hash chain', async () => {
      const id = await roundIn('closed');
      const res = await w.api.get(`/v1/rounds/${id}/audit`, w.alliance.h);
      expect(res.status).toBe(200);
      const ev: AuditEvent[] = res.body.data;
      expect(ev.map((e) => e.type)).toEqual([
        'round.created', 'item.added', 'round.demand', 'round.bidding', 'round.opened', 'round.awarded', 'round.closed',
      ]);
      expect(ev.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      let prev = '0'.repeat(64);
      for (const e of ev) {
        expect(e.actor).toBe(w.alliance.id);
        expect(e.prevHash).toBe(prev);
        const canonical = canonicalize({ seq: e.seq, type: e.type, at: e.at, actor: e.actor, data: e.data }) as string;
        expect(e.hash).toBe(createHash('sha256').update(prev + canonical, 'utf8').digest('hex'));
        prev = e.hash;
      }
      expect(ev[4].at).toBe(new Date(CLOSES).toISOString());
      expect(ev[3].data).toMatchObject({ from: 'demand', to: 'bidding' });
      const v = await w.api.get(`/v1/audit/verify?roundId=${id}`, w.alliance.h);
      expect(v.body).toMatchObject({ ok: true, events: 7, head: prev });
      expect((await w.api.get(`/v1/rounds/${id}/audit`, op)).body.data).toEqual(ev);
      expectProblem(await w.api.get(`/v1/rounds/${id}/audit`, w.otherAlliance.h), 404, 'not-found');
      expectProblem(await w.api.get(`/v1/rounds/${id}/audit`, w.hospitals.gz1.h), 403, 'forbidden');
      expectProblem(await w.api.get(`/v1/rounds/${id}/audit`, m.h), 403, 'forbidden');
      expectProblem(await w.api.get(`/v1/rounds/${id}/audit`, {}), 401, 'unauthorized');
    });

    it('records cancellation', async () => {
      const id = await roundIn('cancelled');
      const ev = (await w.api.get(`/v1/rounds/${id}/audit`, w.alliance.h)).body.data;
      expect(ev.map((e) => e.type)).toEqual(['round.created', 'item.added', 'round.cancelled']);
      expect(ev[2].data).toMatchObject({ from: 'draft', to: 'cancelled' });
      expect(ev[2].prevHash).toBe(ev[1].hash);
    });
  });
});
