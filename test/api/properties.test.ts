import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { op } from '../helpers.js';
import { bid, item, maker, open, round, world, type Maker, type World } from './round-fixture.js';

/**
 * Property-based bad input (fast-check) over every JSON and bulk endpoint: malformed JSON, wrong types,
 * huge numbers, negative and fractional quantities, money with too many places or in exponent notation,
 * unicode and over-long strings; CSV/NDJSON with wrong columns, stray quotes, a BOM, CRLF, NUL bytes.
 * Every generated body is invalid in at least one way, sent by a caller allowed to write in a state where a
 * valid body succeeds: the answer is always a problem+json 4xx, never a 5xx, and no table changes.
 * Bounded: NUM_RUNS per endpoint and a time limit per property (fast-check's interruptAfterTimeLimit).
 */
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 60);
const TIME_LIMIT_MS = 8_000;
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined;

/** What a field accepts, so that its invalid values can be generated. */
type Field =
  | { t: 'str'; max: number; nullable?: boolean }
  | { t: 'enum'; values: string[] }
  | { t: 'int'; min: number; max: number }
  | { t: 'money4' }
  | { t: 'dec'; places: number; nullable?: boolean }
  | { t: 'date'; nullable?: boolean }
  | { t: 'region' }
  | { t: 'regions' }
  | { t: 'strength'; nullable?: boolean }
  | { t: 'rules' }
  | { t: 'ym'; nullable?: boolean };
type Spec = Record<string, Field & { optional?: boolean }>;

const longText = (min: number) => fc.array(fc.constantFrom('字', 'é', 'a', '😀', 'ü', '\u200b', 'Ω'), { minLength: min + 1, maxLength: min + 3000 }).map((a) => a.join(''));
const unicodeDigits = fc.constantFrom('١٢٣', '１２３', '১২', '१.५', '٣٫٥');
const huge = fc.constantFrom(1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER * 4 + 1, Number.MAX_SAFE_INTEGER + 2, 1e21);
const notString = fc.oneof(fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), huge,
  fc.constant([]), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }));
const notNumber = fc.oneof(fc.boolean(), fc.string({ maxLength: 20 }), fc.constant([]), fc.constant({}), unicodeDigits);
/** Invalid money strings: too many places, exponents, signs, separators, unicode digits, too many digits, numbers. */
const badMoney = (places: number) => fc.oneof(
  fc.tuple(fc.nat({ max: 99999 }), fc.stringMatching(new RegExp(`^[0-9]{${places + 1},${places + 6}}$`))).map(([i, d]) => `${i}.${d}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom('e', 'E', 'e+', 'e-'), fc.integer({ min: 0, max: 400 })).map(([m, e, x]) => `${m}${e}${x}`),
  fc.nat({ max: 10000 }).map((n) => `-${n}.00`),
  fc.constantFrom('1,50', '1.', '.5', ' 1.0', '1.0 ', '+1', '0x1F', 'Infinity', 'NaN', '', '1_000', '1.2.3', '１.５'),
  fc.stringMatching(/^[1-9][0-9]{13,40}$/), unicodeDigits,
  fc.double({ noNaN: true, noDefaultInfinity: true }), huge,
);
const badDate = fc.oneof(fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-03-01', '2026-03-01T25:00:00Z', '0000-00-00T00:00:00Z', ''),
  fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => Number.isNaN(Date.parse(s))), fc.integer());

function invalidFor(f: Field): fc.Arbitrary<unknown> {
  const nul = 'nullable' in f && f.nullable ? [] : [fc.constant(null)];
  switch (f.t) {
    case 'str': return fc.oneof(notString, longText(f.max), fc.constant(''), ...nul);
    case 'enum': return fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !f.values.includes(s)), notString, longText(64), ...nul);
    case 'int': return fc.oneof(
      fc.integer({ min: -1e9, max: f.min - 1 }), fc.integer({ min: f.max + 1, max: Number.MAX_SAFE_INTEGER }), huge,
      fc.double({ min: f.min, max: Math.min(f.max, 1e6), noNaN: true }).filter((x) => !Number.isInteger(x)), fc.constant(-0.5), fc.constant(1.5),
      notNumber.filter((x) => typeof x !== 'number'), ...nul);
    case 'money4': return fc.oneof(badMoney(4), notString.filter((x) => typeof x !== 'string'), ...nul);
    case 'dec': return fc.oneof(badMoney(f.places), notString.filter((x) => typeof x !== 'string'), ...nul);
    case 'date': return fc.oneof(badDate, ...nul);
    case 'region': return fc.oneof(fc.stringMatching(/^[0-9]{1,5}$|^[0-9]{7,12}$/), unicodeDigits, notString, ...nul);
    case 'regions': return fc.oneof(notString.filter((x) => !Array.isArray(x)), fc.array(fc.oneof(fc.integer(), fc.constant('44010'), unicodeDigits), { minLength: 1, maxLength: 5 }),
      fc.constant(Array.from({ length: 501 }, (_, i) => String(100000 + i))), ...nul);
    case 'strength': return fc.oneof(notString.filter((x) => typeof x !== 'object' || Array.isArray(x)), fc.record({ value: badMoney(6), unit: fc.constant('mg') }),
      fc.record({ value: fc.constant('20'), unit: fc.oneof(longText(8), fc.constant('')) }), fc.constant({ value: '20', unit: 'mg', extra: 1 }), ...nul);
    case 'rules': return fc.oneof(notString.filter((x) => typeof x !== 'object' || Array.isArray(x)), fc.constant({}),
      fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !['nvbp', 'pilot-4+7', 'anchor-2025'].includes(s)).map((preset) => ({ preset })), ...nul);
    case 'ym': return fc.oneof(fc.constantFrom('2026-13', '2026-00', '26-01', '2026/01', '2026-1', ''), unicodeDigits, fc.integer(), ...nul);
  }
}

/** Offsets of the `{`, `:` and `,` of a JSON text that lie outside its strings. */
function structural(text: string): number[] {
  const out: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; continue; }
    if (c === '"') inString = true;
    else if (c === '{' || c === ':' || c === ',') out.push(i);
  }
  return out;
}

/** A body as sent: raw text, broken in one of the ways the properties cover. */
function invalidJson(base: Record<string, unknown>, spec: Spec): [fc.Arbitrary<string>, string] {
  const fields = Object.keys(spec);
  const required = fields.filter((k) => !spec[k].optional);
  const text = JSON.stringify(base);
  const arbs: fc.Arbitrary<string>[] = [
    // One field of a wrong type or value.
    fc.constantFrom(...fields).chain((k) => invalidFor(spec[k]).map((v) => JSON.stringify({ ...base, [k]: v }))),
    // Numbers JavaScript cannot hold, written as raw JSON (parsed to ±Infinity, 0 or a rounded float).
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '1e-400', '-0'))
      .map(([k, raw]) => JSON.stringify({ ...base, [k]: '__raw__' }).replace('"__raw__"', raw)),
    // An unknown field.
    fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((k) => !fields.includes(k) && k !== '__proto__'), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]) => JSON.stringify({ ...base, [k]: v })),
    // Malformed JSON: cut short, a stray character, a trailing comma, single quotes, a NUL byte, a bare value of the wrong type.
    fc.integer({ min: 1, max: text.length - 1 }).map((i) => text.slice(0, i)),
    // (after a structural character: inside a string most of these would be data)
    fc.tuple(fc.constantFrom(...structural(text)), fc.constantFrom('"', '{', '}', ',', ':', '\\', '\u0000', ']')).map(([i, c]) => text.slice(0, i + 1) + c + text.slice(i + 1)),
    fc.constant(text.slice(0, -1) + ',}'), fc.constant(text.replace(/"/g, "'")),
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })).map((v) => JSON.stringify(v)),
    // Deeply nested.
    fc.integer({ min: 100, max: 5000 }).map((n) => JSON.stringify({ ...base, [fields[0]]: '__deep__' }).replace('"__deep__"', '['.repeat(n) + ']'.repeat(n))),
  ];
  // A required field missing.
  if (required.length) arbs.push(fc.constantFrom(...required).map((k) => { const b = { ...base }; delete b[k]; return JSON.stringify(b); }));
  return [fc.oneof(...arbs), text];
}

/** Row counts of every table of the schema (one statement). */
async function snapshot(db: Db): Promise<Record<string, number>> {
  const tables = await db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`);
  const sql = `SELECT ${tables.map((x, i) => `(SELECT count(*)::int FROM "${x.t}") AS c${i}`).join(', ')}`;
  const [row] = await db.query<Record<string, number>>(sql);
  return Object.fromEntries(tables.map((x, i) => [x.t, row[`c${i}`]]));
}

let w: World;
let m: Maker;
let ids: { draft: string; demand: string; bidding: string; opened: string; winner: Maker };

beforeAll(async () => {
  w = await world();
  m = await maker(w);
  const loser = await maker(w);
  const opened = await round(w, { demand: [['gz1', 'ATV20', 1000]] });
  await bid(w, m, opened, 'ATV20', '20.00');
  await bid(w, loser, opened, 'ATV20', '25.00');
  await open(w, opened);
  const draft = await round(w, { state: 'draft' });
  const demand = await round(w, { state: 'demand' });
  const bidding = await round(w, {});
  ids = { draft: draft.id, demand: demand.id, bidding: bidding.id, opened: opened.id, winner: m };
}, 120_000);
afterAll(async () => { await w?.t.close(); });

/** Sends every generated body; each must be refused with a problem+json 4xx, and nothing may change. */
async function refusesAll(method: string, url: () => string, headers: () => Record<string, string>, contentType: string, [bodies, valid]: [fc.Arbitrary<string>, string]) {
  const before = await snapshot(w.t.db);
  const seen = new Map<number, number>();
  await fc.assert(fc.asyncProperty(bodies, async (payload) => {
    const res = await w.t.app.inject({ method: method as 'POST', url: url(), headers: { ...headers(), 'content-type': contentType }, payload });
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
    expect(res.statusCode, res.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    const p = JSON.parse(res.body) as { type: string; status: number; title: string };
    expect(p.status).toBe(res.statusCode);
    expect(typeof p.type === 'string' && typeof p.title === 'string').toBe(true);
  }), { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, seed: SEED, endOnFailure: true });
  expect(await snapshot(w.t.db)).toEqual(before);
  // The control: the body the bad ones were made from is accepted, so they were refused for being bad.
  const ok = await w.t.app.inject({ method: method as 'POST', url: url(), headers: { ...headers(), 'content-type': contentType }, payload: valid });
  expect(ok.statusCode, ok.body).toBeLessThan(300);
  return seen;
}

const json = 'application/json';
const ORG: Spec = { kind: { t: 'enum', values: ['alliance', 'hospital', 'manufacturer'] }, name: { t: 'str', max: 200 }, regionCode: { t: 'region' },
  regionCodes: { t: 'regions', optional: true }, externalId: { t: 'str', max: 100, optional: true } };
const PRODUCT: Spec = {
  genericName: { t: 'str', max: 200 }, dosageForm: { t: 'str', max: 100 }, category: { t: 'enum', values: ['drug', 'consumable'] },
  strength: { t: 'strength' }, packSize: { t: 'int', min: 1, max: 1_000_000 }, approvalNumber: { t: 'str', max: 100 }, qualityTier: { t: 'str', max: 50 },
};
const ROUND: Spec = { name: { t: 'str', max: 200 }, rules: { t: 'rules' }, bidOpensAt: { t: 'date' }, bidClosesAt: { t: 'date' },
  contractMonths: { t: 'int', min: 1, max: 120 }, contractStart: { t: 'ym', nullable: true, optional: true } };
const ITEM: Spec = {
  code: { t: 'str', max: 32 }, genericName: { t: 'str', max: 200 }, dosageForm: { t: 'str', max: 100 }, category: { t: 'enum', values: ['drug', 'consumable'] },
  unit: { t: 'str', max: 50 }, referenceStrength: { t: 'strength', nullable: true, optional: true }, strengthPriceRatio: { t: 'dec', places: 8, optional: true },
  maxUnitPrice: { t: 'dec', places: 8 }, baselineUnitPrice: { t: 'dec', places: 8 }, agreedVolumeRatio: { t: 'dec', places: 8, nullable: true, optional: true },
};

describe('property: JSON endpoints refuse bad input with a problem+json 4xx and write nothing', () => {
  it('POST /v1/organizations', async () => {
    await refusesAll('POST', () => '/v1/organizations', () => op, json,
      invalidJson({ kind: 'hospital', name: '医院', regionCode: '440103', externalId: 'EXT-prop' }, ORG));
  });

  it('POST /v1/organizations/{id}/tokens', async () => {
    await refusesAll('POST', () => `/v1/organizations/${m.id}/tokens`, () => op, json, invalidJson({ name: 'ci' }, { name: { t: 'str', max: 200 } }));
  });

  it('POST /v1/organizations/{id}/suspensions', async () => {
    await refusesAll('POST', () => `/v1/organizations/${m.id}/suspensions`, () => op, json,
      invalidJson({ from: '2026-06-01T00:00:00Z', until: null, reason: 'audit' },
        { from: { t: 'date' }, until: { t: 'date', nullable: true }, reason: { t: 'str', max: 1000 } }));
  });

  it('POST /v1/products', async () => {
    await refusesAll('POST', () => '/v1/products', () => m.h, json, invalidJson({
      genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: '20', unit: 'mg' },
      packSize: 10, approvalNumber: '国药准字H-prop', qualityTier: 'consistency_passed',
    }, PRODUCT));
  });

  it('POST /v1/rounds', async () => {
    await refusesAll('POST', () => '/v1/rounds', () => w.alliance.h, json, invalidJson({
      name: 'round', rules: { preset: 'nvbp' }, bidOpensAt: '2027-01-01T00:00:00Z', bidClosesAt: '2027-01-10T00:00:00Z', contractMonths: 12,
    }, ROUND));
  });

  it('PATCH /v1/rounds/{id}', async () => {
    const spec = { ...ROUND };
    for (const k of Object.keys(spec)) spec[k] = { ...spec[k], optional: true };
    await refusesAll('PATCH', () => `/v1/rounds/${ids.draft}`, () => w.alliance.h, json, invalidJson({ name: 'renamed', contractMonths: 24 }, spec));
  });

  it('POST /v1/rounds/{id}/items', async () => {
    await refusesAll('POST', () => `/v1/rounds/${ids.draft}/items`, () => w.alliance.h, json, invalidJson({ ...item('PROP1') }, ITEM));
  });

  it('PUT /v1/rounds/{id}/demand/{itemCode}', async () => {
    await refusesAll('PUT', () => `/v1/rounds/${ids.demand}/demand/ATV20`, () => w.hospitals.gz1.h, json,
      invalidJson({ quantity: 1000 }, { quantity: { t: 'int', min: 1, max: 1_000_000_000 }, preferredManufacturerId: { t: 'str', max: 64, nullable: true, optional: true } }));
  });

  it('PUT /v1/rounds/{id}/bids/{itemCode}', async () => {
    await refusesAll('PUT', () => `/v1/rounds/${ids.bidding}/bids/ATV20`, () => m.h, json,
      invalidJson({ productId: m.products[0], packagePrice: '20.0000' }, { productId: { t: 'str', max: 64 }, packagePrice: { t: 'money4' } }));
  });

  it('PUT /v1/rounds/{id}/region-preferences/{itemCode}', async () => {
    await refusesAll('PUT', () => `/v1/rounds/${ids.opened}/region-preferences/ATV20`, () => ids.winner.h, json,
      invalidJson({ regionCodes: ['440000'] }, { regionCodes: { t: 'regions' } }));
  });
});

/** CSV and NDJSON bodies with exactly the breakage named, on valid records otherwise. */
function invalidBulk(header: string[], required: number, records: () => string[][], breakValue: fc.Arbitrary<[number, string]>): fc.Arbitrary<[string, string]> {
  const decorate = (lines: string[], bom: boolean, crlf: boolean, trailing: boolean) =>
    (bom ? '\uFEFF' : '') + lines.join(crlf ? '\r\n' : '\n') + (trailing ? (crlf ? '\r\n' : '\n') : '');
  const csvLines = (h: string[], rs: string[][]) => [h.join(','), ...rs.map((r) => r.join(','))];
  const flags = fc.tuple(fc.boolean(), fc.boolean(), fc.boolean());
  const csv = fc.oneof(
    // Wrong columns: one renamed (unicode too), one dropped, or one added.
    fc.tuple(fc.nat(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[,"\r\n\0]/.test(s) && !header.some((h) => h.toLowerCase() === s.trim().toLowerCase())), flags)
      .map(([i, name, [b, c, t]]) => { const h = [...header]; h[i % h.length] = name; return decorate(csvLines(h, records()), b, c, t); }),
    fc.tuple(fc.nat(), flags).map(([i, [b, c, t]]) => {
      const k = i % required; // a required column
      return decorate(csvLines(header.filter((_, j) => j !== k), records().map((r) => r.filter((_, j) => j !== k))), b, c, t);
    }),
    // A stray quote opening a field it never closes.
    fc.tuple(fc.nat(), fc.nat(), flags).map(([i, j, [b, c, t]]) => {
      const rs = records();
      const r = rs[i % rs.length];
      r[j % r.length] = '"' + r[j % r.length];
      return decorate(csvLines(header, rs), b, c, t);
    }),
    // A NUL byte anywhere after the header.
    fc.tuple(fc.nat(), flags).map(([i, [b, c, t]]) => {
      const text = decorate(csvLines(header, records()), b, c, t);
      const at = text.indexOf('\n') + 1 + (i % Math.max(1, text.length - text.indexOf('\n') - 1));
      return text.slice(0, at) + '\u0000' + text.slice(at);
    }),
    // A bad value in one field.
    fc.tuple(fc.nat(), breakValue, flags).map(([i, [col, v], [b, c, t]]) => {
      const rs = records();
      rs[i % rs.length][col] = v.replace(/[,\r\n"]/g, '');
      return decorate(csvLines(header, rs), b, c, t);
    }),
  ).map((body): [string, string] => ['text/csv', body]);
  const toJson = (rs: string[][]) => rs.map((r) => JSON.stringify(Object.fromEntries(header.map((h, i) => [h, /^[0-9]+$/.test(r[i]) && h === 'quantity' ? Number(r[i]) : r[i]]))));
  const ndjson = fc.oneof(
    fc.tuple(fc.nat(), fc.nat({ max: 200 })).map(([i, cut]) => { const ls = toJson(records()); const l = ls[i % ls.length]; ls[i % ls.length] = l.slice(0, 1 + (cut % (l.length - 1))); return ls.join('\n'); }),
    fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 1 })).map(([i, v]) => { const ls = toJson(records()); ls[i % ls.length] = JSON.stringify({ ...JSON.parse(ls[i % ls.length]), extra: v }); return ls.join('\n'); }),
    fc.tuple(fc.nat(), fc.constantFrom('\u0000', '"', '{', '[')).map(([i, c]) => { const ls = toJson(records()); ls[i % ls.length] += c; return ls.join('\n'); }),
    fc.tuple(fc.nat(), breakValue).map(([i, [col, v]]) => {
      const ls = toJson(records());
      ls[i % ls.length] = JSON.stringify({ ...JSON.parse(ls[i % ls.length]), [header[col]]: v });
      return ls.join('\r\n');
    }),
  ).map((body): [string, string] => ['application/x-ndjson', body]);
  return fc.oneof(csv, ndjson);
}

describe('property: bulk endpoints refuse bad CSV and NDJSON with a problem+json 4xx and write nothing', () => {
  async function refusesBulk(url: () => string, headers: () => Record<string, string>, bodies: fc.Arbitrary<[string, string]>, valid: string) {
    const before = await snapshot(w.t.db);
    await fc.assert(fc.asyncProperty(bodies, async ([type, payload]) => {
      const res = await w.t.app.inject({ method: 'POST', url: url(), headers: { ...headers(), 'content-type': type }, payload });
      expect(res.statusCode, `${res.body.slice(0, 300)} for ${JSON.stringify(payload.slice(0, 200))}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    }), { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, seed: SEED, endOnFailure: true });
    expect(await snapshot(w.t.db)).toEqual(before);
    // The control: valid records (with a BOM and CRLF) are taken.
    const ok = await w.t.app.inject({ method: 'POST', url: url(), headers: { ...headers(), 'content-type': 'text/csv' }, payload: valid });
    expect(ok.statusCode, ok.body).toBeLessThan(300);
  }

  const badQuantity = fc.oneof(fc.constantFrom('-1', '0', '1.5', '1e3', '99999999999999999999', '１２', '', 'ten', '0x10'), unicodeDigits);

  it('POST /v1/rounds/{id}/demand/bulk', async () => {
    const records = () => [[w.hospitals.gz1.id, 'ATV20', '100'], [w.hospitals.nj.id, 'ATV20', '200'], [w.hospitals.bj.id, 'ATV20', '300']];
    const breakValue = fc.oneof(
      badQuantity.map((v): [number, string] => [2, v]),
      fc.oneof(longText(64), fc.constant('nobody'), fc.constant('')).map((v): [number, string] => [0, v]),
      fc.oneof(fc.constant('NOPE'), fc.constant('ATV 20'), longText(32)).map((v): [number, string] => [1, v]),
    );
    await refusesBulk(() => `/v1/rounds/${ids.demand}/demand/bulk`, () => w.alliance.h, invalidBulk(['hospitalId', 'itemCode', 'quantity'], 3, records, breakValue),
      '\uFEFFhospitalId,itemCode,quantity\r\n' + records().map((r) => r.join(',')).join('\r\n') + '\r\n');
  });

  it('POST /v1/organizations/bulk', async () => {
    let n = 0;
    const records = () => { n++; return [['hospital', `医院${n}a`, '440103', `EXT-b${n}a`], ['manufacturer', `制药${n}b`, '310000', `EXT-b${n}b`]]; };
    const breakValue = fc.oneof(
      fc.oneof(fc.constantFrom('Hospital', 'hosp', '', 'operator'), longText(20)).map((v): [number, string] => [0, v]),
      fc.oneof(longText(200), fc.constant('')).map((v): [number, string] => [1, v]),
      fc.oneof(fc.constantFrom('44010', '4401030', 'abcdef', ''), unicodeDigits).map((v): [number, string] => [2, v]),
      longText(100).map((v): [number, string] => [3, v]),
    );
    await refusesBulk(() => '/v1/organizations/bulk', () => op, invalidBulk(['kind', 'name', 'regionCode', 'externalId'], 3, records, breakValue),
      '\uFEFFkind,name,regionCode,externalId\r\n' + records().map((r) => r.join(',')).join('\r\n') + '\r\n');
  });
});
