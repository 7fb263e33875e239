import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, count, expectProblem, op, org, testApp, type Client, type TestApp } from '../helpers.js';

/** DOMAIN.md "Round lifecycle": every allowed and refused transition, the bid-window checks and the audit chain. */

type Org = { id: string; h: Record<string, string> };
type State = 'draft' | 'demand' | 'bidding' | 'opened' | 'awarded' | 'closed' | 'cancelled';
type Action = 'publish' | 'start-bidding' | 'open' | 'award' | 'close' | 'cancel';

const STATES: State[] = ['draft', 'demand', 'bidding', 'opened', 'awarded', 'closed', 'cancelled'];
const ACTIONS: Action[] = ['publish', 'start-bidding', 'open', 'award', 'close', 'cancel'];
const ALLOWED: Record<Action, { from: State[]; to: State }> = {
  publish: { from: ['draft'], to: 'demand' },
  'start-bidding': { from: ['demand'], to: 'bidding' },
  open: { from: ['bidding'], to: 'opened' },
  award: { from: ['opened'], to: 'awarded' },
  close: { from: ['awarded'], to: 'closed' },
  cancel: { from: ['draft', 'demand', 'bidding', 'opened'], to: 'cancelled' },
};
const START = '2026-03-01T00:00:00Z';
const IN_WINDOW = '2026-03-15T00:00:00Z';
const CLOSES = '2026-03-20T00:00:00Z';

describe('round lifecycle', () => {
  let t: TestApp;
  let c: Client;
  let a: Org, b: Org, hosp: Org, m: Org;

  /** A fresh round of alliance a with one item, driven to `state` through the API. */
  async function roundIn(state: State): Promise<string> {
    t.clock.set(START);
    const r = await c.post('/v1/rounds', a.h, {
      name: `R ${state}`, rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: CLOSES, contractMonths: 12,
    });
    expect(r.status).toBe(201);
    const id = r.body.id;
    const item = await c.post(`/v1/rounds/${id}/items`, a.h, {
      code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
      referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '3', baselineUnitPrice: '2.5',
    });
    expect(item.status).toBe(201);
    const path: [State, Action][] = [['demand', 'publish'], ['bidding', 'start-bidding'], ['opened', 'open'], ['awarded', 'award'], ['closed', 'close']];
    if (state === 'cancelled') {
      expect((await c.post(`/v1/rounds/${id}/cancel`, a.h)).status).toBe(200);
      return id;
    }
    for (const [to, action] of path) {
      if (STATES.indexOf(state) < STATES.indexOf(to)) break;
      if (action === 'open') t.clock.set(CLOSES);
      const res = await c.post(`/v1/rounds/${id}/${action}`, a.h);
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect((await c.get(`/v1/rounds/${id}`, a.h)).body.state).toBe(state);
    return id;
  }
  const stateOf = async (id: string) => (await c.get(`/v1/rounds/${id}`, op)).body.state;
  const events = (id: string) => count(t.db, 'audit_events', 'chain = $1', [id]);

  beforeAll(async () => {
    t = await testApp();
    c = client(t.app);
    a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000'] });
    b = await org(c, { kind: 'alliance', name: 'B', regionCode: '320000', regionCodes: ['320000'] });
    hosp = await org(c, { kind: 'hospital', name: 'h', regionCode: '440103' });
    m = await org(c, { kind: 'manufacturer', name: 'M', regionCode: '310000' });
  });
  afterAll(async () => { await t?.close(); });

  const pairs = ACTIONS.flatMap((action) => ALLOWED[action].from.map((from) => [action, from] as const));
  it.each(pairs)('%s from %s is allowed and appends its audit event', async (action, from) => {
    const id = await roundIn(from);
    const before = await events(id);
    t.clock.set(action === 'open' ? CLOSES : IN_WINDOW);
    const res = await c.post(`/v1/rounds/${id}/${action}`, a.h);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const to = ALLOWED[action].to;
    if (action === 'open') expect(res.body.items.map((i: any) => i.itemCode)).toEqual(['ATV20']);
    else expect(res.body).toMatchObject({ id, state: to });
    expect(await stateOf(id)).toBe(to);
    expect(await events(id)).toBe(before + 1);
    const audit = (await c.get(`/v1/rounds/${id}/audit?limit=1000`, a.h)).body.data;
    expect(audit.at(-1)).toMatchObject({ type: `round.${to}`, actor: a.id, data: expect.objectContaining({ from, to }) });
  });

  describe('refused transitions', () => {
    const ids = {} as Record<State, string>;
    beforeAll(async () => { for (const s of STATES) ids[s] = await roundIn(s); });

    it.each(STATES)('every action not allowed from %s answers 409 invalid-state and changes nothing', async (state) => {
      const refused = ACTIONS.filter((action) => !ALLOWED[action].from.includes(state));
      expect(refused.length).toBe(ACTIONS.length - (['draft', 'demand', 'bidding', 'opened'].includes(state) ? 2 : state === 'awarded' ? 1 : 0));
      const before = await events(ids[state]);
      for (const action of refused) {
        t.clock.set(action === 'open' ? CLOSES : IN_WINDOW);
        expectProblem(await c.post(`/v1/rounds/${ids[state]}/${action}`, a.h), 409, 'invalid-state');
      }
      expect(await stateOf(ids[state])).toBe(state);
      expect(await events(ids[state])).toBe(before);
    });

    it('cannot cancel once awarded', async () => {
      for (const s of ['awarded', 'closed', 'cancelled'] as const) {
        expectProblem(await c.post(`/v1/rounds/${ids[s]}/cancel`, a.h), 409, 'invalid-state');
        expect(await stateOf(ids[s])).toBe(s);
      }
    });
  });

  it('refuses start-bidding once now ≥ bidClosesAt', async () => {
    const id = await roundIn('demand');
    for (const now of [CLOSES, '2026-04-01T00:00:00Z']) {
      t.clock.set(now);
      expectProblem(await c.post(`/v1/rounds/${id}/start-bidding`, a.h), 409, 'bidding-closed');
      expect(await stateOf(id)).toBe('demand');
    }
    t.clock.set('2026-03-19T23:59:59.999Z');
    expect((await c.post(`/v1/rounds/${id}/start-bidding`, a.h)).body.state).toBe('bidding');
  });

  it('refuses to open before bidClosesAt with bidding-not-closed', async () => {
    const id = await roundIn('bidding');
    const before = await events(id);
    for (const now of [IN_WINDOW, '2026-03-19T23:59:59.999Z']) {
      t.clock.set(now);
      expectProblem(await c.post(`/v1/rounds/${id}/open`, a.h), 409, 'bidding-not-closed');
    }
    expect(await stateOf(id)).toBe('bidding');
    expect(await events(id)).toBe(before);
    expect(await count(t.db, 'item_results', 'round_id = $1', [id])).toBe(0);
    t.clock.set(CLOSES);
    expect((await c.post(`/v1/rounds/${id}/open`, a.h)).status).toBe(200);
    expect(await stateOf(id)).toBe('opened');
  });

  it('lets only the round\'s alliance act: 401, 404, 403', async () => {
    const draft = await roundIn('draft');
    const demand = await roundIn('demand');
    t.clock.set(IN_WINDOW);
    for (const action of ACTIONS) {
      expectProblem(await c.post(`/v1/rounds/${demand}/${action}`, {}), 401, 'unauthorized');
      expectProblem(await c.post(`/v1/rounds/${demand}/${action}`, b.h), 404, 'not-found');
      expectProblem(await c.post(`/v1/rounds/${draft}/${action}`, hosp.h), 404, 'not-found');
      expectProblem(await c.post(`/v1/rounds/${draft}/${action}`, m.h), 404, 'not-found');
      for (const who of [hosp.h, m.h, op]) expectProblem(await c.post(`/v1/rounds/${demand}/${action}`, who), 403, 'forbidden');
      expectProblem(await c.post(`/v1/rounds/rnd_missing/${action}`, a.h), 404, 'not-found');
    }
    expect(await stateOf(draft)).toBe('draft');
    expect(await stateOf(demand)).toBe('demand');
  });

  it('records the whole lifecycle as a verifiable hash chain', async () => {
    const id = await roundIn('closed');
    const res = await c.get(`/v1/rounds/${id}/audit`, a.h);
    expect(res.status).toBe(200);
    const ev = res.body.data;
    expect(ev.map((e: any) => e.type)).toEqual([
      'round.created', 'item.added', 'round.demand', 'round.bidding', 'round.opened', 'round.awarded', 'round.closed',
    ]);
    expect(ev.map((e: any) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    let prev = '0'.repeat(64);
    for (const e of ev) {
      expect(e.actor).toBe(a.id);
      expect(e.prevHash).toBe(prev);
      const canonical = canonicalize({ seq: e.seq, type: e.type, at: e.at, actor: e.actor, data: e.data }) as string;
      expect(e.hash).toBe(createHash('sha256').update(prev + canonical, 'utf8').digest('hex'));
      prev = e.hash;
    }
    expect(ev[4].at).toBe('2026-03-20T00:00:00.000Z');
    expect(ev[3].data).toMatchObject({ from: 'demand', to: 'bidding' });
    const v = await c.get(`/v1/audit/verify?roundId=${id}`, a.h);
    expect(v.body).toMatchObject({ ok: true, events: 7, head: prev });
    expect((await c.get(`/v1/rounds/${id}/audit`, op)).body.data).toEqual(ev);
    expectProblem(await c.get(`/v1/rounds/${id}/audit`, b.h), 404, 'not-found');
    expectProblem(await c.get(`/v1/rounds/${id}/audit`, hosp.h), 403, 'forbidden');
    expectProblem(await c.get(`/v1/rounds/${id}/audit`, m.h), 403, 'forbidden');
    expectProblem(await c.get(`/v1/rounds/${id}/audit`, {}), 401, 'unauthorized');
  });

  it('records cancellation', async () => {
    const id = await roundIn('cancelled');
    const ev = (await c.get(`/v1/rounds/${id}/audit`, a.h)).body.data;
    expect(ev.map((e: any) => e.type)).toEqual(['round.created', 'item.added', 'round.cancelled']);
    expect(ev[2].data).toMatchObject({ from: 'draft', to: 'cancelled' });
    expect(ev[2].prevHash).toBe(ev[1].hash);
  });
});
