import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D, fmt4, mean, type Dec } from '../../src/rules/decimal.js';
import { agreedQuantity, supplierFor, unitOf, weightedDrop } from '../../src/rules/allocation.js';
import { roundDrops } from '../../src/rules/selection.js';
import { agreedSql } from '../../src/results/award.js';
import type { Results } from '../../src/results/schemas.js';
import { AGREEMENTS, DEMAND } from '../helpers.js';
import { award, bid, item, maker, open, round, world, type Maker, type Round, type World } from './round-fixture.js';

/**
 * One home per rule: the rules of DOMAIN.md "Supply regions and agreed volumes" live in TS
 * (src/rules/) and again in SQL (the agreements view, the agreements reader of GET /agreements,
 * award's totals). Each test runs both on the same round and compares, so neither drifts alone.
 */

type Hk = 'gz1' | 'gz2' | 'nj' | 'bj';
const HOSPITALS: Hk[] = ['gz1', 'gz2', 'nj', 'bj'];
const REGION: Record<Hk, string> = { gz1: '440103', gz2: '440304', nj: '320102', bj: '110105' };

/**
 * Ratios and demand chosen for the rounding rule: x.5 with an even integer part (half up and half
 * even differ), x.5 with an odd one, values at the demand limit of 1,000,000,000, 8-place ratios,
 * and the preset's ratio (no override; 0.6 for two winners).
 */
const RATIOS: Record<string, string | null> = { Q1: '0.5', Q2: '0.15', Q3: '0.33333333', Q4: '0.99999999', Q5: '0.7', Q6: null };
const DEMANDS: Record<string, Record<Hk, number>> = {
  Q1: { gz1: 1, gz2: 3, nj: 999_999_997, bj: 999_999_999 },        // 0.5, 1.5, 499,999,998.5, 499,999,999.5
  Q2: { gz1: 10, gz2: 30, nj: 7, bj: 123_456_789 },                 // 1.5, 4.5, 1.05, 18,518,518.35
  Q3: { gz1: 3, gz2: 1, nj: 150_000_000, bj: 999_999_999 },         // 0.99999999, 0.33333333, 49,999,999.5, 333,333,329.67
  Q4: { gz1: 50_000_000, gz2: 1_000_000_000, nj: 1, bj: 2 },        // 49,999,999.5, 999,999,990, 0.99999999, 1.99999998
  Q5: { gz1: 5, gz2: 15, nj: 999_999_999, bj: 25 },                 // 3.5, 10.5, 699,999,999.3, 17.5
  Q6: { gz1: 1, gz2: 999_999_999, nj: 4, bj: 7 },                   // 0.6, 599,999,999.4, 2.4, 4.2
};
const CODES = Object.keys(RATIOS);

interface ViewRow { hospital_id: string; item_code: string; manufacturer_id: string; demand: number; agreed_quantity: number; comparable_unit_price: string }
interface TotalRow { item_code: string; manufacturer_id: string; hospitals: number; agreed_quantity: string; amount: string; baseline_amount: string }

describe('rule twins: TS rules against their SQL', () => {
  let w: World;

  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.t.close(); });

  const key = (hospitalId: string, itemCode: string) => `${hospitalId}|${itemCode}`;
  /** The agreements view, with string ids and the comparable unit price at full precision. */
  const viewOf = (r: Round) => w.t.db.query<ViewRow>(
    `SELECT hospital_id, item_code, manufacturer_id, demand, agreed_quantity, comparable_unit_price FROM ${AGREEMENTS}
      WHERE round_id = $1 ORDER BY hospital_id, item_code`, [r.id]);
  const totalsOf = (r: Round) => w.t.db.query<TotalRow>(
    `SELECT item_code, manufacturer_id, hospitals, agreed_quantity::text AS agreed_quantity, amount::text AS amount,
            baseline_amount::text AS baseline_amount FROM award_totals WHERE round_id = $1 ORDER BY item_code, manufacturer_id`, [r.id]);
  const apiAgreements = async (r: Round, h: Record<string, string>) => {
    const res = await w.api.get(`/v1/rounds/${r.id}/agreements?limit=1000`, h);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    return res.body.data;
  };
  /** The unit winners of GET /allocations, by item and unit code. */
  const unitWinners = async (r: Round) => {
    const res = await w.api.get(`/v1/rounds/${r.id}/allocations?limit=1000`, w.alliance.h);
    expect(res.status).toBe(200);
    return new Map(res.body.data.map((a) => [`${a.itemCode}|${a.regionCode}`, a.manufacturerId]));
  };
  const winnersOf = (results: Results, itemCode: string) =>
    new Set(results.items.find((i) => i.itemCode === itemCode)!.bids.filter((b) => b.winner).map((b) => b.manufacturerId));

  it("award's integer round(quantity × ratio) equals agreedQuantity, and so does its numeric fallback (ratios past 9 places)", async () => {
    const quantities = [0, 1, 2, 3, 5, 7, 15, 999_999_997, 999_999_999, 1_000_000_000, 123_456_789];
    for (let i = 0; i < 200; i++) quantities.push(Math.floor(Math.random() * 1_000_000_001));
    for (const ratios of [['0.5', '0.15', '0.33333333', '0.99999999', '0.7', '1', '0.123456789'], ['0.1234567891', '0.5', '1']]) {
      const agreed = agreedSql(ratios, 'd.quantity');
      expect(agreed.type).toBe(ratios[0] === '0.1234567891' ? 'numeric' : 'bigint');
      const rows = await w.t.db.query<{ item_no: number; quantity: number; agreed: string }>(
        `SELECT d.item_no, d.quantity, (${agreed.sql})::text AS agreed
           FROM unnest($1::int[]) AS q(quantity), generate_series(1, ${ratios.length}) AS i(item_no),
                LATERAL (SELECT i.item_no, q.quantity) d
          ORDER BY 1, 2`, [quantities, agreed.array]);
      expect(rows).toHaveLength(quantities.length * ratios.length);
      for (const r of rows) expect(Number(r.agreed), `${r.quantity} × ${ratios[r.item_no - 1]}`).toBe(agreedQuantity(r.quantity, new D(ratios[r.item_no - 1])));
    }
  });

  describe('province level, exact prices: agreedQuantity, supplierFor, weightedDrop, averageDrop', () => {
    let r: Round;
    let a: Maker, b: Maker, c: Maker;
    let results: Results;
    let view: ViewRow[];
    /** Demand lines as stored: quantity and preferred manufacturer. */
    let demand: Map<string, { quantity: number; preferred: string | null }>;

    beforeAll(async () => {
      [a, b, c] = [await maker(w), await maker(w, [{ mg: '10', pack: 14 }]), await maker(w)];
      // Preferences: gz2 names B (a winner, not its unit's), nj names C (a loser), gz1 names A (its unit's winner), bj none.
      const preferred: Record<Hk, string | undefined> = { gz1: a.id, gz2: b.id, nj: c.id, bj: undefined };
      r = await round(w, {
        items: [...CODES.map((code) => item(code, RATIOS[code] === null ? {} : { agreedVolumeRatio: RATIOS[code] })), item('Q7')],
        demand: CODES.flatMap((code) => HOSPITALS.map((hk) => [hk, code, DEMANDS[code][hk], preferred[hk]] as [Hk, string, number, string?])),
      });
      // Comparable prices exact at 4 places (20 mg × 10: price / 10; 10 mg × 14 at r 1.7: price / 14 × 1.7), so that
      // sums over GET /agreements (4-place prices) are the exact sums award stores. C is the highest and is excluded.
      for (const [i, code] of CODES.entries()) {
        await bid(w, a, r, code, (5 + i / 10).toFixed(2));  // 0.50, 0.51, … a tablet
        await bid(w, b, r, code, '4.20');                   // 0.30 a tablet, comparable 0.5100
        await bid(w, c, r, code, '9.00');
      }
      results = await open(w, r);
      await award(w, r);
      view = await viewOf(r);
      const lines = await w.t.db.query<{ hospital_id: string; item_code: string; quantity: number; preferred_manufacturer_id: string | null }>(
        `SELECT hospital_id, item_code, quantity, preferred_manufacturer_id FROM ${DEMAND} WHERE round_id = $1`, [r.id]);
      demand = new Map(lines.map((l) => [key(l.hospital_id, l.item_code), { quantity: l.quantity, preferred: l.preferred_manufacturer_id }]));
    });

    it('has the round the rules are compared on: every item awarded to A and B, Q7 without bids', () => {
      expect(results.items.map((i) => [i.itemCode, i.outcome])).toEqual([...CODES.map((code) => [code, 'awarded']), ['Q7', 'no_eligible_bids']]);
      for (const code of CODES) expect([...winnersOf(results, code)].sort()).toEqual([a.id, b.id].sort());
      expect(view).toHaveLength(CODES.length * HOSPITALS.length);
    });

    it('agreedQuantity: round half up of demand × ratio, the same in TS, the view, GET /agreements and award totals', async () => {
      const ratioOf = (code: string) => RATIOS[code] ?? '0.6';
      // The preset's ratio reaches the results as the one the override-less item got.
      expect(results.items.find((i) => i.itemCode === 'Q6')!.agreedVolumeRatio).toBe('0.6000');
      const expected = new Map<string, number>();
      for (const code of CODES) {
        for (const hk of HOSPITALS) expected.set(key(w.hospitals[hk].id, code), agreedQuantity(DEMANDS[code][hk], new D(ratioOf(code))));
      }
      // The TS rule on the boundary cases, so a change of rounding mode in both places still fails here.
      expect(expected.get(key(w.hospitals.gz1.id, 'Q1'))).toBe(1);
      expect(expected.get(key(w.hospitals.gz2.id, 'Q2'))).toBe(5);
      expect(expected.get(key(w.hospitals.nj.id, 'Q1'))).toBe(499_999_999);
      expect(expected.get(key(w.hospitals.bj.id, 'Q1'))).toBe(500_000_000);
      expect(expected.get(key(w.hospitals.gz2.id, 'Q4'))).toBe(999_999_990);

      const fromView = new Map(view.map((v) => [key(v.hospital_id, v.item_code), v.agreed_quantity]));
      expect(fromView).toEqual(expected);
      for (const v of view) expect(v.demand).toBe(demand.get(key(v.hospital_id, v.item_code))!.quantity);
      const fromApi = new Map((await apiAgreements(r, w.alliance.h)).map((g) => [key(g.hospitalId, g.itemCode), g.agreedQuantity]));
      expect(fromApi).toEqual(expected);
      // Award's totals round each hospital's line before summing, as the view does.
      const totals = await totalsOf(r);
      for (const t of totals) {
        const mine = view.filter((v) => v.item_code === t.item_code && v.manufacturer_id === t.manufacturer_id);
        expect(Number(t.agreed_quantity), `${t.item_code} ${t.manufacturer_id}`).toBe(mine.reduce((n, v) => n + expected.get(key(v.hospital_id, v.item_code))!, 0));
        expect(t.hospitals).toBe(mine.length);
      }
    });

    it('supplierFor: the preferred manufacturer when it won, else the unit winner, the same in TS, the view and both readers', async () => {
      const units = await unitWinners(r);
      const expected = new Map<string, string>();
      for (const code of CODES) {
        for (const hk of HOSPITALS) {
          const h = w.hospitals[hk];
          const line = demand.get(key(h.id, code))!;
          const supplier = supplierFor(line.preferred, units.get(`${code}|${unitOf(REGION[hk], 'province')}`), winnersOf(results, code));
          expect(supplier, `${hk} ${code}`).toBeDefined();
          expected.set(key(h.id, code), supplier!);
        }
      }
      // The round covers both branches of the rule: a preferred winner that is not the unit's, and a preferred loser.
      expect(units.get(`Q1|${unitOf(REGION.gz2, 'province')}`)).not.toBe(b.id);
      expect(expected.get(key(w.hospitals.gz2.id, 'Q1'))).toBe(b.id);
      expect(expected.get(key(w.hospitals.nj.id, 'Q1'))).not.toBe(c.id);

      expect(new Map(view.map((v) => [key(v.hospital_id, v.item_code), v.manufacturer_id]))).toEqual(expected);
      expect(new Map((await apiAgreements(r, w.alliance.h)).map((g) => [key(g.hospitalId, g.itemCode), g.manufacturerId]))).toEqual(expected);
      // A manufacturer's own reader walks its units and its preferring hospitals: the same partition.
      for (const m of [a, b, c]) {
        const own = (await apiAgreements(r, m.h)).map((g) => key(g.hospitalId, g.itemCode)).sort();
        expect(own, m.id).toEqual([...expected].filter(([, s]) => s === m.id).map(([k]) => k).sort());
      }
    });

    it('weightedDrop: GET /results (from award totals) equals the rule over sums from GET /agreements, and its definition', async () => {
      const agreements = await apiAgreements(r, w.alliance.h);
      const baseline = new D('2.5');
      const sums = new Map<string, { amount: Dec; baselineAmount: Dec }>();
      for (const g of agreements) {
        const s = sums.get(`${g.itemCode}|${g.manufacturerId}`) ?? { amount: new D(0), baselineAmount: new D(0) };
        s.amount = s.amount.plus(new D(g.comparableUnitPrice).times(g.agreedQuantity));
        s.baselineAmount = s.baselineAmount.plus(baseline.times(g.agreedQuantity));
        sums.set(`${g.itemCode}|${g.manufacturerId}`, s);
      }
      // The per-winner sums award stored are these sums, exactly.
      const totals = await totalsOf(r);
      expect(totals.map((t) => `${t.item_code}|${t.manufacturer_id}`).sort()).toEqual([...sums.keys()].sort());
      for (const t of totals) {
        const s = sums.get(`${t.item_code}|${t.manufacturer_id}`)!;
        expect(new D(t.amount).eq(s.amount), `${t.item_code} amount ${t.amount} ≠ ${s.amount}`).toBe(true);
        expect(new D(t.baseline_amount).eq(s.baselineAmount), `${t.item_code} baseline ${t.baseline_amount}`).toBe(true);
      }
      const got = (await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h)).body.round.weightedDrop;
      expect(got).toBe(fmt4(weightedDrop([...sums.values()])));
      // DOMAIN.md: 1 − Σ(comparable × agreed) / Σ(baseline × agreed) over all agreements.
      const paid = agreements.reduce((x, g) => x.plus(new D(g.comparableUnitPrice).times(g.agreedQuantity)), new D(0));
      const base = agreements.reduce((x, g) => x.plus(baseline.times(g.agreedQuantity)), new D(0));
      expect(got).toBe(fmt4(new D(1).minus(paid.div(base))));
      expect(got).not.toBeNull();
    });

    it('averageDrop: GET /results uses roundDrops, the plain mean of priceDrop over awarded items only', async () => {
      const res = (await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h)).body;
      // Each awarded item's priceDrop from its winners' comparable prices (exact here), as DOMAIN.md defines it.
      const drops = res.items.filter((i) => i.outcome === 'awarded').map((i) => {
        const winners = i.bids.filter((x) => x.winner).map((x) => new D(x.comparableUnitPrice));
        return new D(1).minus(mean(winners)!.div('2.5'));
      });
      expect(new Set(drops.map((d) => fmt4(d))).size).toBe(CODES.length); // distinct drops: a mean that weighs them wrongly shows
      expect(res.round.averageDrop).toBe(fmt4(mean(drops)));
      expect(res.round.averageDrop).toBe(fmt4(roundDrops(res.items.map((i) => ({
        outcome: i.outcome, priceDrop: i.priceDrop === null ? null : new D(i.priceDrop),
      }))).averageDrop));
      expect(res.round).toMatchObject({ items: CODES.length + 1, awardedItems: CODES.length });
    });
  });

  it('city level, comparable prices beyond 4 places: the view supplies as supplierFor, and weightedDrop is from full precision', async () => {
    // 40 mg × 7 on a 20 mg item at r 1.7: 6.30 → 0.9 a tablet, comparable 0.9 / 1.7 = 0.529411…
    const [a, b] = [await maker(w, [{ mg: '40', pack: 7 }]), await maker(w)];
    const r = await round(w, {
      rules: { preset: 'nvbp', regionLevel: 'city', excludeHighest: false },
      demand: [['gz1', 'ATV20', 1001], ['gz2', 'ATV20', 3333, a.id], ['nj', 'ATV20', 7777], ['bj', 'ATV20', 5]],
    });
    await bid(w, a, r, 'ATV20', '6.30');
    await bid(w, b, r, 'ATV20', '5.40');
    const results = await open(w, r);
    await award(w, r);
    const view = await viewOf(r);
    const units = await unitWinners(r);
    const winners = winnersOf(results, 'ATV20');
    expect([...winners].sort()).toEqual([a.id, b.id].sort());
    const preferred: Partial<Record<Hk, string>> = { gz2: a.id };
    for (const hk of HOSPITALS) {
      const row = view.find((v) => v.hospital_id === w.hospitals[hk].id)!;
      expect(row.manufacturer_id, hk).toBe(supplierFor(preferred[hk] ?? null, units.get(`ATV20|${unitOf(REGION[hk], 'city')}`), winners));
    }
    // gz1 and gz2 share the unit 440100 only at province level: at city level they are 440100 and 440300.
    expect(units.size).toBe(4);

    const comparable = new D(results.items[0].bids.find((x) => x.manufacturerId === a.id)!.comparableUnitPrice);
    expect(comparable.toFixed(4)).toBe('0.5294');
    const sums = [a, b].map((m) => view.filter((v) => v.manufacturer_id === m.id)).filter((rows) => rows.length > 0).map((rows) => ({
      amount: rows.reduce((x, v) => x.plus(new D(v.comparable_unit_price).times(v.agreed_quantity)), new D(0)),
      baselineAmount: rows.reduce((x, v) => x.plus(new D('2.5').times(v.agreed_quantity)), new D(0)),
    }));
    expect(view.some((v) => !new D(v.comparable_unit_price).eq(new D(v.comparable_unit_price).toDecimalPlaces(4)))).toBe(true);
    const totals = await totalsOf(r);
    expect(totals.map((t) => new D(t.amount)).reduce((x, y) => x.plus(y), new D(0))
      .eq(sums.reduce((x, s) => x.plus(s.amount), new D(0)))).toBe(true);
    expect((await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h)).body.round.weightedDrop).toBe(fmt4(weightedDrop(sums)));
  });
});
