import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloneTemplate, dropDatabase } from '../helpers.js';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { biddingRound, parties } from './http-round.js';
import { http, must, sleepUntil, startApi, type Proc, openingKeys } from './processes.js';

/**
 * The log of a whole round at debug level (the real server, its stdout and
 * stderr: on a clone of the migrated test database in PG mode, else embedded
 * on a copy of the migrated PGlite directory) holds none of: the operator key, the opening private key (its PEM
 * base64), any token issued, any bid price (as sent or as the 4-place string),
 * including the refused ones (above the ceiling, malformed).
 */
const MASTER = 'log-test-master-key-7f3a9c21e5';
const KEYS = openingKeys();
/** The base64 body of the private key's PEM (one line for an X25519 key). */
const PRIVATE_BODY = KEYS.worker.JICAI_OPENING_PRIVATE_KEY.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
/** Prices nobody would write by chance; each bid below uses one. */
const PRICES = ['17.3917', '18.2743', '16.9181', '19.4629'];
const REFUSED = ['99.1357', '12.345678', '7.77e1'];

let api: (Proc & { url: string }) | null = null;
const dataDir = mkdtempSync(join(tmpdir(), 'jicai-logs-'));
let dropDb = async () => {};
afterAll(async () => {
  await api?.stop();
  await dropDb();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The database the server starts on, migrated already (a migration run at start costs a minute on a busy machine). */
async function database(): Promise<Record<string, string>> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const template = inject('pgliteTemplate');
    if (template) cpSync(template, join(dataDir, 'pglite'), { recursive: true });
    return {};
  }
  const name = `${inject('testDbPrefix')}logs_${randomBytes(4).toString('hex')}`;
  const url = await cloneTemplate(name);
  dropDb = () => dropDatabase(name);
  return { DATABASE_URL: url };
}

/** The forms a price could take in a log line. */
function forms(price: string): string[] {
  const n = Number(price);
  const out = new Set([price, n.toFixed(4), String(n), n.toFixed(2)]);
  const [i, d = ''] = price.split('.');
  if (d.length) out.add(`${i}.${d.replace(/0+$/, '')}`);
  return [...out].filter((s) => s.length >= 4);
}

describe('secrets and prices in the log of a whole round (debug level)', () => {
  it('names no key, token or bid price', async () => {
    api = await startApi('api', { ...await database(), JICAI_DATA_DIR: dataDir, JICAI_MASTER_KEY: MASTER, ...KEYS.worker, LOG_LEVEL: 'debug' });
    const h = http(api.url);
    const p = await parties(h, MASTER, 3);
    const opensAt = new Date(Date.now() + 1500);
    const closesAt = new Date(opensAt.getTime() + 4000);
    const round = await biddingRound(h, p, opensAt, closesAt);
    await sleepUntil(opensAt.getTime() + 50);
    const [m0, m1, m2] = p.makers;
    const bid = (m: typeof m0, packagePrice: string) => h.put(`/v1/rounds/${round}/bids/ATV20`, m.token, { productId: m.product, packagePrice });
    must(await bid(m0, PRICES[0]), 200, 'bid');
    must(await bid(m1, PRICES[1]), 200, 'bid');
    must(await bid(m0, PRICES[2]), 200, 'replacement bid');
    must(await bid(m2, PRICES[3]), 200, 'bid');
    expect((await bid(m2, REFUSED[0])).status).toBe(422); // above the ceiling
    expect((await bid(m2, REFUSED[1])).status).toBe(400); // five places
    expect((await h.raw('PUT', `/v1/rounds/${round}/bids/ATV20`, m2.token, `{"productId":"${m2.product}","packagePrice":${REFUSED[2]}}`)).status).toBe(400);
    must(await h.del(`/v1/rounds/${round}/bids/ATV20`, m2.token), 204, 'withdrawal');
    must(await bid(m2, PRICES[3]), 200, 'bid again');
    must(await h.get(`/v1/rounds/${round}/bids`, m0.token), 200, 'own bids');
    expect((await h.get(`/v1/rounds/${round}/bids`, p.alliance.token)).status).toBe(409);
    expect((await h.get('/v1/rounds', 'jk_wrong_token_abcdef')).status).toBe(401);
    await sleepUntil(closesAt.getTime() + 50);
    must(await h.post(`/v1/rounds/${round}/open`, p.alliance.token), 200, 'open');
    must(await h.get(`/v1/rounds/${round}/results`, m1.token), 200, 'results');
    must(await h.get(`/v1/rounds/${round}/bids`, p.alliance.token), 200, 'bids after opening');
    const award = await h.post(`/v1/rounds/${round}/award`, p.alliance.token);
    expect([200, 409], award.text).toContain(award.status); // 409 notice-period where a notice period runs
    if (award.status === 200) {
      must(await h.get(`/v1/rounds/${round}/agreements`, p.alliance.token), 200, 'agreements');
      must(await h.get(`/v1/rounds/${round}/ocds`, null), 200, 'ocds');
    }
    must(await h.get(`/v1/rounds/${round}/audit`, MASTER), 200, 'audit');
    must(await h.get(`/v1/audit/verify?roundId=${round}`, MASTER), 200, 'verify');
    const revoked = must(await h.post(`/v1/organizations/${p.alliance.id}/tokens`, MASTER, { name: 'revoke me' }), 201, 'token');
    p.tokens.push(revoked.body.token);
    must(await h.del(`/v1/tokens/${revoked.body.id}`, MASTER), 204, 'revoke');
    expect((await h.get('/v1/rounds', revoked.body.token)).status).toBe(401);
    // Let the jobs the round queued run and log.
    await new Promise((r) => setTimeout(r, 1500));
    await api.stop();

    const log = api.output();
    const lines = log.split('\n').filter(Boolean);
    expect(lines.length, 'the round was logged').toBeGreaterThan(30);
    const secrets: [string, string][] = [
      ['the operator key', MASTER], ['the opening private key', PRIVATE_BODY],
      ...p.tokens.map((t, i): [string, string] => [`token ${i}`, t]),
      ...[...PRICES, ...REFUSED].flatMap((price) => forms(price).map((f): [string, string] => [`bid price ${price}`, f])),
    ];
    const found = secrets.filter(([, s]) => log.includes(s)).map(([what, s]) => `${what} (${s}) in: ${lines.find((l) => l.includes(s))?.slice(0, 300)}`);
    expect(found).toEqual([]);
    // Sealed bid routes: the request line names neither the bidder nor the item.
    const bidLines = lines.filter((l) => l.includes('/bids'));
    expect(bidLines.length).toBeGreaterThan(0);
    for (const l of bidLines) {
      for (const m of p.makers) expect(l).not.toContain(m.id);
      expect(l).not.toContain('ATV20');
    }
  }, 150_000);
});
