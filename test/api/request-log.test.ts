import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { api, client } from '../helpers.js';
import { bid, maker, round, world, type World } from './round-fixture.js';

/** SECURITY.md: request logs name the route template, and bid routes no actor, so nothing sealed reaches a log before opening. */
describe('request log of a sealed round', () => {
  let w: World;
  let logged: World;
  let app: FastifyInstance;
  const lines: string[] = [];

  beforeAll(async () => {
    w = await world();
    const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    app = await buildApp(w.t.ctx, { logger: { level: 'debug', stream } });
    await app.ready();
    logged = { ...w, api: api(app), c: client(app) };
  });
  afterAll(async () => { await app?.close(); await w?.t.close(); });

  it('shows no bid price, bidder or bid item code at debug level before opening', async () => {
    const r = await round(logged, { demand: [['gz1', 'ATV20', 10]] });
    const m1 = await maker(logged), m2 = await maker(logged);
    await bid(logged, m1, r, 'ATV20', '16.80');
    await bid(logged, m1, r, 'ATV20', '12.34');
    await bid(logged, m2, r, 'ATV20', '23.45');
    const over = await logged.api.put(`/v1/rounds/${r.id}/bids/ATV20`, m2.h, { productId: m2.products[0], packagePrice: '99999' });
    expect(over.status).toBe(422);
    expect((await logged.api.put(`/v1/rounds/${r.id}/bids/NOPE9`, m2.h, { productId: m2.products[0], packagePrice: '1' })).status).toBeGreaterThanOrEqual(400);
    expect((await logged.api.get(`/v1/rounds/${r.id}/bids`, m1.h)).status).toBe(200);
    expect((await logged.api.del(`/v1/rounds/${r.id}/bids/ATV20`, m2.h)).status).toBe(204);
    expect((await logged.api.get(`/v1/rounds/${r.id}/audit`, w.alliance.h)).status).toBe(200);
    expect((await logged.api.get(`/v1/rounds/${r.id}/bids`, w.alliance.h)).status).toBe(409);

    const text = lines.join('');
    const bidLines = lines.filter((l) => l.includes('/bids'));
    expect(bidLines.length).toBeGreaterThanOrEqual(7);
    for (const l of bidLines) {
      const entry = JSON.parse(l) as Record<string, unknown>;
      expect(entry.route).toMatch(/^\/v1\/rounds\/:id\/bids(\/:itemCode)?$/);
      expect(entry.actor).toBeUndefined();
    }
    for (const secret of ['16.80', '16.8000', '12.34', '23.45', '99999', m1.id, m2.id, ...m1.products, ...m2.products, 'ATV20', 'NOPE9']) {
      expect(text, `the log holds ${secret}`).not.toContain(secret);
    }
  });
});
