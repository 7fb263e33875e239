import { expect } from 'vitest';
import type { ItemInput } from '../../src/rounds/schemas.js';
import type { Results } from '../../src/results/schemas.js';
import { api, client, count, op, org, testApp, type Api, type Client, type RulesBody, type TestApp } from '../helpers.js';

/** Shared set-up for the bid, audit and result API tests: one app, rounds built on demand. */
export type H = Record<string, string>;
export interface Party { id: string; h: H }
export interface Maker extends Party { products: string[] }
export interface World {
  t: TestApp; c: Client;
  /** The same app through the typed client. */
  api: Api;
  alliance: Party; otherAlliance: Party;
  /** gz1 440103, gz2 440304 (Guangdong, two cities), nj 320102, bj 110105; sc 510104 lies outside the alliance. externalId EXT-<key>. */
  hospitals: Record<'gz1' | 'gz2' | 'nj' | 'bj' | 'sc', Party>;
}
export interface Round { id: string; opensAt: string; closesAt: string }

/** Options as for testApp (e.g. a small bulk body limit). */
export async function world(opts: Parameters<typeof testApp>[0] = {}): Promise<World> {
  const t = await testApp(opts);
  const c = client(t.app);
  const a = api(t.app);
  const alliance = await org(c, { kind: 'alliance', name: '联盟', regionCode: '440000', regionCodes: ['440000', '320000', '110000'] });
  const otherAlliance = await org(c, { kind: 'alliance', name: '四川联盟', regionCode: '510000', regionCodes: ['510000'] });
  const hospitals = {} as World['hospitals'];
  for (const [k, region] of [['gz1', '440103'], ['gz2', '440304'], ['nj', '320102'], ['bj', '110105'], ['sc', '510104']] as const) {
    hospitals[k] = await org(c, { kind: 'hospital', name: k, regionCode: region, externalId: `EXT-${k}` });
  }
  return { t, c, api: a, alliance, otherAlliance, hospitals };
}

export interface ProductSpec { mg?: string; unit?: string; pack?: number; tier?: string; genericName?: string; dosageForm?: string; verify?: boolean }

let makers = 0;
/** A manufacturer with its products (default: atorvastatin calcium tablet 20 mg × 10, consistency_passed, verified). */
export async function maker(w: World, specs: ProductSpec[] = [{}]): Promise<Maker> {
  const n = ++makers;
  const o = await org(w.c, { kind: 'manufacturer', name: `M${n}`, regionCode: '310000' });
  const products: string[] = [];
  for (const [i, s] of specs.entries()) {
    const p = await w.api.post('/v1/products', o.h, {
      genericName: s.genericName ?? 'atorvastatin calcium', dosageForm: s.dosageForm ?? 'tablet', category: 'drug',
      strength: { value: s.mg ?? '20', unit: s.unit ?? 'mg' }, packSize: s.pack ?? 10,
      approvalNumber: `国药准字H${n}-${i}`, qualityTier: s.tier ?? 'consistency_passed',
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    if (s.verify !== false) expect((await w.c.post(`/v1/products/${p.body.id}/verify`, op)).status).toBe(200);
    products.push(p.body.id);
  }
  return { ...o, products };
}

/** The worked example's item ATV20: 20 mg, r 1.7, maxUnitPrice 3.0000, baseline 2.5000. */
export const item = (code = 'ATV20', extra: Partial<ItemInput> = {}): ItemInput => ({
  code, genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
  referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000', ...extra,
});

export interface RoundSpec {
  rules?: RulesBody;
  items?: ItemInput[];
  /** [hospital, itemCode, quantity, preferred manufacturer id?] */
  demand?: [keyof World['hospitals'], string, number, string?][];
  /** The state to leave the round in; 'bidding' also moves the clock into the bid window. */
  state?: 'draft' | 'demand' | 'bidding';
}

/**
 * A round whose bid window opens a day after the current clock and closes ten
 * days after it, so every test can build its own round on the shared clock.
 */
export async function round(w: World, spec: RoundSpec = {}): Promise<Round> {
  const { api: c, alliance } = w;
  const now = w.t.clock.now().getTime();
  const opensAt = new Date(now + 86_400_000).toISOString();
  const closesAt = new Date(now + 10 * 86_400_000).toISOString();
  const r = await c.post('/v1/rounds', alliance.h, { name: 'round', rules: spec.rules ?? { preset: 'nvbp' }, bidOpensAt: opensAt, bidClosesAt: closesAt, contractMonths: 12 });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  for (const it of spec.items ?? [item()]) {
    const res = await c.post(`/v1/rounds/${r.body.id}/items`, alliance.h, it);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  const state = spec.state ?? 'bidding';
  if (state !== 'draft') {
    expect((await c.post(`/v1/rounds/${r.body.id}/publish`, alliance.h)).status).toBe(200);
    for (const [hk, code, quantity, pref] of spec.demand ?? []) {
      const d = await c.put(`/v1/rounds/${r.body.id}/demand/${code}`, w.hospitals[hk].h, { quantity, ...(pref ? { preferredManufacturerId: pref } : {}) });
      expect(d.status, JSON.stringify(d.body)).toBe(200);
    }
  }
  if (state === 'bidding') {
    expect((await c.post(`/v1/rounds/${r.body.id}/start-bidding`, alliance.h)).status).toBe(200);
    w.t.clock.set(new Date(now + 2 * 86_400_000));
  }
  return { id: r.body.id, opensAt, closesAt };
}

/** A bid that must be accepted; returns the PUT's body. */
export async function bid(w: World, m: Maker, r: Round, itemCode: string, packagePrice: string, product = m.products[0]) {
  const res = await w.api.put(`/v1/rounds/${r.id}/bids/${itemCode}`, m.h, { productId: product, packagePrice });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Moves the clock to bidClosesAt and opens the round; returns the results. */
export async function open(w: World, r: Round): Promise<Results> {
  w.t.clock.set(r.closesAt);
  const res = await w.api.post(`/v1/rounds/${r.id}/open`, w.alliance.h);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function award(w: World, r: Round) {
  const res = await w.api.post(`/v1/rounds/${r.id}/award`, w.alliance.h);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The bid outcome of one manufacturer in a results body. */
export const outcomeOf = (results: Results, itemCode: string, manufacturerId: string) =>
  results.items.find((i) => i.itemCode === itemCode)?.bids.find((b) => b.manufacturerId === manufacturerId);

/**
 * Audit events of a chain matching `where` (e.g. "type LIKE 'bid.%'"), linked or
 * still queued for linking (bid events may be linked into the chain lazily).
 */
export async function auditCount(w: World, chain: string, where = 'true'): Promise<number> {
  let n = await count(w.t.db, 'audit_events', `chain = $1 AND ${where}`, [chain]);
  const pending = await w.t.db.query<{ t: string | null }>(`SELECT to_regclass('audit_pending')::text AS t`);
  if (pending[0].t) n += await count(w.t.db, 'audit_pending', `chain = $1 AND ${where}`, [chain]);
  return n;
}

/** Links queued events into the round's chain (any read of the chain does) and returns its stored events. */
export async function chainOf(w: World, roundId: string) {
  expect((await w.c.get(`/v1/rounds/${roundId}/audit?limit=1`, op)).status).toBe(200);
  return w.t.db.query<{ seq: number; type: string; actor: string; data: any }>(
    'SELECT seq, type, actor, data FROM audit_events WHERE chain = $1 ORDER BY seq', [roundId]);
}
