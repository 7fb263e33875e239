import { expect } from 'vitest';
import { api, client, org, testApp, type Api, type Client, type H, type TestApp } from '../helpers.js';

/**
 * DOMAIN.md "Worked example (preset nvbp)" as a fixture: its hospitals, manufacturers and products,
 * demand and bids, written once for every test that replays it (test/e2e/worked-example, the OCDS export).
 */

export type ExampleMaker = 'M1' | 'M2' | 'M3' | 'M4' | 'M5' | 'M6';
export type ExampleHospital = 'h1' | 'h2' | 'h3' | 'h4' | 'h5';

/** Atorvastatin calcium tablets: strength (mg), pack size, quality tier. */
export const EXAMPLE_PRODUCTS: Record<ExampleMaker, { mg: string; pack: number; tier: string }> = {
  M1: { mg: '20', pack: 28, tier: 'consistency_passed' }, M2: { mg: '10', pack: 14, tier: 'originator' },
  M3: { mg: '40', pack: 7, tier: 'reference' }, M4: { mg: '20', pack: 7, tier: 'consistency_passed' },
  M5: { mg: '20', pack: 10, tier: 'not_evaluated' }, M6: { mg: '20', pack: 10, tier: 'consistency_passed' },
};
export const EXAMPLE_REGIONS: Record<ExampleHospital, string> = { h1: '440103', h3: '440304', h2: '320102', h4: '330106', h5: '110105' };
/** Yearly demand for ATV20, and the manufacturer a hospital prefers. */
export const EXAMPLE_DEMAND: Record<ExampleHospital, { quantity: number; preferred?: ExampleMaker }> = {
  h1: { quantity: 10000 }, h3: { quantity: 5000 }, h2: { quantity: 6000 }, h4: { quantity: 3000, preferred: 'M4' }, h5: { quantity: 1999 },
};
/** Package prices. */
export const EXAMPLE_BIDS: Record<ExampleMaker, string> = { M1: '16.80', M2: '4.20', M3: '6.30', M4: '6.44', M5: '3.00', M6: '12.00' };
export const EXAMPLE_WINDOW = { bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z' };

export interface Party { id: string; h: H }
export interface Example {
  t: TestApp; c: Client; api: Api; alliance: Party;
  /** Only the hospitals and manufacturers asked for exist. */
  h: Record<ExampleHospital, Party>;
  m: Record<ExampleMaker, Party & { product: string }>;
}

/** A fresh app with the example's parties (a subset of them: the OCDS test needs three of each). */
export async function example(opts: {
  alliance: { name: string; regionCodes: string[] }; hospitals?: ExampleHospital[]; makers?: ExampleMaker[];
}): Promise<Example> {
  const t = await testApp();
  const x: Example = { t, c: client(t.app), api: api(t.app), alliance: undefined!, h: {} as Example['h'], m: {} as Example['m'] };
  x.alliance = await org(x.api, { kind: 'alliance', name: opts.alliance.name, regionCode: opts.alliance.regionCodes[0], regionCodes: opts.alliance.regionCodes });
  for (const k of opts.hospitals ?? (Object.keys(EXAMPLE_REGIONS) as ExampleHospital[])) {
    x.h[k] = await org(x.api, { kind: 'hospital', name: k, regionCode: EXAMPLE_REGIONS[k] });
  }
  for (const k of opts.makers ?? (Object.keys(EXAMPLE_PRODUCTS) as ExampleMaker[])) {
    const o = await org(x.api, { kind: 'manufacturer', name: `制药${k}`, regionCode: '310000' });
    const { mg, pack, tier } = EXAMPLE_PRODUCTS[k];
    const p = await x.api.post('/v1/products', o.h, {
      genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' },
      packSize: pack, approvalNumber: `国药准字H${k}`, qualityTier: tier,
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect((await x.api.post(`/v1/products/${p.body.id}/verify`, x.alliance.h)).status).toBe(200);
    x.m[k] = { ...o, product: p.body.id };
  }
  return x;
}

/** The example's round (draft) with its one item ATV20: 20 mg, r 1.7, maxUnitPrice 3.0000, baseline 2.5000. */
export async function exampleRound(x: Example, name: string): Promise<string> {
  const r = await x.api.post('/v1/rounds', x.alliance.h, { name, rules: { preset: 'nvbp' }, ...EXAMPLE_WINDOW, contractMonths: 12 });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const item = await x.api.post(`/v1/rounds/${r.body.id}/items`, x.alliance.h, {
    code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
    referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
  });
  expect(item.status, JSON.stringify(item.body)).toBe(201);
  return r.body.id;
}

/** Every present hospital's demand (the round is in demand). */
export async function exampleDemand(x: Example, roundId: string) {
  for (const [k, party] of Object.entries(x.h) as [ExampleHospital, Party][]) {
    const { quantity, preferred } = EXAMPLE_DEMAND[k];
    const d = await x.api.put(`/v1/rounds/${roundId}/demand/ATV20`, party.h, { quantity, ...(preferred ? { preferredManufacturerId: x.m[preferred].id } : {}) });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
  }
}

/** Every present manufacturer's bid (the clock is inside the bid window). */
export async function exampleBids(x: Example, roundId: string) {
  for (const [k, party] of Object.entries(x.m) as [ExampleMaker, Party & { product: string }][]) {
    const b = await x.api.put(`/v1/rounds/${roundId}/bids/ATV20`, party.h, { productId: party.product, packagePrice: EXAMPLE_BIDS[k] });
    expect(b.status, JSON.stringify(b.body)).toBe(200);
  }
}

/** The example's name (M2, h5) of a party id in an answer. */
export const keyOf = <K extends string>(parties: Record<K, Party>, id: string): K | undefined =>
  (Object.keys(parties) as K[]).find((k) => parties[k].id === id);
