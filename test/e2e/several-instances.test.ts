import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { jobIdOf } from '../../jobs/queues.js';
import { cloneTemplate, dropDatabase } from '../helpers.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { receiptDigest } from '../../src/bids/receipt.js';
import { biddingRound, parties } from './http-round.js';
import { dropRedisPrefix, http, must, sleepUntil, spawnNode, startApi, waitFor, type Http, type Proc, openingKeys } from './processes.js';

/**
 * Several instances: two API processes and two workers (child processes, real sockets) on one PostgreSQL
 * database and one Redis. Manufacturers bid through both APIs at once, across bidClosesAt (a few seconds
 * ahead in real time): no bid is accepted at or after it, every receipt checks at opening, and the round's
 * audit chain verifies with exactly one bid event per accepted write. Then, awarded, reports requested through both
 * APIs are each done exactly once by one of the two workers (one stored file, one outbox attempt).
 * PG mode with Redis only: skipped without DATABASE_URL and REDIS_URL.
 */
const MASTER = 'several-master-key-0123456789ab';
const KEYS = openingKeys();
const MAKERS = 4;

interface Sent { maker: number; api: number; price: string; sentAt: number; status: number; body: any }

describe.skipIf(!process.env.DATABASE_URL || !process.env.REDIS_URL)('several instances: two APIs and two workers on one database (needs DATABASE_URL and REDIS_URL)', () => {
  const name = `${inject('testDbPrefix')}si_${randomBytes(4).toString('hex')}`;
  let dir = '';
  const procs: Proc[] = [];
  const apis: Http[] = [];
  let dbUrl = '';
  let round = '';
  let alliance = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jicai-si-'));
    const env = {
      DATABASE_URL: dbUrl = await cloneTemplate(name), REDIS_URL: process.env.REDIS_URL!, JICAI_QUEUE_PREFIX: `jicai-test-${name}`, JICAI_MASTER_KEY: MASTER,
      JICAI_DATA_DIR: dir, LOG_LEVEL: 'warn',
    };
    const started = await Promise.all([startApi('api 1', { ...env, ...KEYS.api }), startApi('api 2', { ...env, ...KEYS.api })]);
    procs.push(...started);
    apis.push(...started.map((a) => http(a.url)));
    for (const w of ['worker 1', 'worker 2']) procs.push(spawnNode(w, 'jobs/main.ts', { ...env, ...KEYS.worker }));
    await waitFor('the workers', async () => procs.slice(2).every((p) => p.output().includes('jicai worker:')), 30_000);
  }, 150_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await dropRedisPrefix(process.env.REDIS_URL!, `jicai-test-${name}`);
    await dropDatabase(name);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts no bid at or after bidClosesAt; receipts check at opening; one audit event per accepted bid', async () => {
    const [a1, a2] = apis;
    const p = await parties(a1, MASTER, MAKERS);
    const opensAt = new Date(Date.now() + 1500);
    const closesAt = new Date(opensAt.getTime() + 3000);
    round = await biddingRound(a2, p, opensAt, closesAt);
    alliance = p.alliance.token;
    await sleepUntil(opensAt.getTime() + 20);

    // Two loops per manufacturer, one on each API, until a second after the deadline.
    const sent: Sent[] = [];
    const stopAt = closesAt.getTime() + 1000;
    await Promise.all(p.makers.flatMap((m, maker) => [0, 1].map(async (api) => {
      while (Date.now() < stopAt) {
        const price = (18 + Math.random() * 10).toFixed(2);
        const sentAt = Date.now();
        const res = await apis[api].put(`/v1/rounds/${round}/bids/ATV20`, m.token, { productId: m.product, packagePrice: price });
        sent.push({ maker, api, price, sentAt, status: res.status, body: res.body });
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
      }
    })));

    const accepted = sent.filter((s) => s.status === 200);
    const refused = sent.filter((s) => s.status !== 200);
    // Refused: by the deadline (409 bidding-closed), or, before it, a write of the same bid through the other API
    // that won the race (409 bid-conflict: "send it again"). Nothing else.
    const closed = refused.filter((s) => String(s.body?.type).endsWith('/bidding-closed'));
    const raced = refused.filter((s) => String(s.body?.type).endsWith('/bid-conflict'));
    for (const s of refused) expect(s.status, JSON.stringify(s.body)).toBe(409);
    expect(closed.length + raced.length, JSON.stringify(refused.find((s) => !closed.includes(s) && !raced.includes(s))?.body)).toBe(refused.length);
    for (const s of raced) expect(s.sentAt).toBeLessThan(closesAt.getTime());
    for (const s of accepted) expect(new Date(s.body.submittedAt).getTime(), JSON.stringify(s.body)).toBeLessThan(closesAt.getTime());
    for (const s of sent.filter((x) => x.sentAt >= closesAt.getTime())) expect(closed).toContain(s);
    for (const api of [0, 1]) {
      expect(accepted.filter((s) => s.api === api).length, `accepted through api ${api + 1}`).toBeGreaterThan(5);
      expect(closed.filter((s) => s.api === api).length, `refused by the deadline through api ${api + 1}`).toBeGreaterThan(0);
    }

    // Every receipt handed out recomputes from the fields of its answer.
    for (const s of accepted) {
      const m = p.makers[s.maker];
      expect(receiptDigest({
        roundId: round, itemCode: 'ATV20', manufacturerId: m.id, productId: m.product, packagePrice: s.body.packagePrice, version: s.body.version, salt: s.body.receipt.salt,
      })).toBe(s.body.receipt.digest);
      expect(s.body.packagePrice).toBe(Number(s.price).toFixed(4));
    }
    // Per manufacturer: every accepted write got its own version, and the last one is what opens.
    const results = must(await a1.post(`/v1/rounds/${round}/open`, p.alliance.token), 200, 'open').body;
    expect(results.items[0].bids).toHaveLength(MAKERS);
    const opened = must(await a2.get(`/v1/rounds/${round}/bids?limit=1000`, p.alliance.token), 200, 'bids after opening').body.data as any[];
    expect(opened).toHaveLength(MAKERS);
    for (const [maker, m] of p.makers.entries()) {
      const mine = accepted.filter((s) => s.maker === maker);
      const versions = mine.map((s) => s.body.version as number);
      expect(new Set(versions).size, `versions of maker ${maker}`).toBe(versions.length);
      const last = mine.reduce((x, y) => (y.body.version > x.body.version ? y : x));
      const bid = opened.find((b) => b.manufacturerId === m.id);
      expect(bid).toMatchObject({ version: last.body.version, packagePrice: last.body.packagePrice, receipt: last.body.receipt });
      expect(receiptDigest({
        roundId: round, itemCode: 'ATV20', manufacturerId: m.id, productId: m.product, packagePrice: bid.packagePrice, version: bid.version, salt: bid.receipt.salt,
      })).toBe(last.body.receipt.digest);
    }

    // The chain: verified, with one bid event per accepted write.
    const verify = must(await a1.get(`/v1/audit/verify?roundId=${round}`, p.alliance.token), 200, 'verify').body;
    expect(verify.ok, JSON.stringify(verify)).toBe(true);
    const events: any[] = [];
    for (let cursor: string | null = null; ;) {
      const page: { data: any[]; nextCursor: string | null } = must(await a2.get(`/v1/rounds/${round}/audit?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, MASTER), 200, 'audit').body;
      events.push(...page.data);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const bidEvents = events.filter((e) => e.type === 'bid.submitted' || e.type === 'bid.replaced');
    expect(bidEvents.length).toBe(accepted.length);
    expect(events.filter((e) => e.type === 'bid.submitted')).toHaveLength(MAKERS);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => events[0].seq + i));
    console.info(`several instances: ${sent.length} bids sent over two APIs, ${accepted.length} accepted (${accepted.filter((s) => s.api === 0).length} / ${accepted.filter((s) => s.api === 1).length}), ${closed.length} refused by the deadline, ${raced.length} lost a race between the APIs; ${events.length} audit events`);
  }, 150_000);

  it('every report requested through either API is done exactly once by one of the two workers', async () => {
    expect(round, 'the bidding test ran first').not.toBe('');
    must(await apis[0].post(`/v1/rounds/${round}/award`, alliance), 200, 'award');
    // 16 requests at once, alternating the APIs: both workers take jobs from one queue.
    const kinds = ['round_summary', 'monitoring'].flatMap((kind) => ['json', 'csv', 'xlsx', 'html'].map((format) => ({ kind, format })));
    const posted = await Promise.all([...kinds, ...kinds].map((body, i) => apis[i % 2].post(`/v1/rounds/${round}/reports`, alliance, body)));
    const ids = posted.map((res) => must(res, 202, 'report request').body.id as string);
    expect(new Set(ids).size).toBe(16);
    const reports = await waitFor('every report settled', async () => {
      const now = await Promise.all(ids.map(async (id, i) => must(await apis[(i + 1) % 2].get(`/v1/reports/${id}`, alliance), 200, 'report').body));
      return now.every((r) => r.status === 'done' || r.status === 'failed') && now;
    }, 120_000, 200);
    for (const r of reports) expect(r, JSON.stringify(r)).toMatchObject({ status: 'done', progress: 100 });
    // Exactly once: one stored generation of the file, and the job's outbox row done after one attempt.
    let byWorker: number[];
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      const files = await sql<{ report_id: string; generations: number }[]>`
        SELECT report_id, count(DISTINCT generation)::int AS generations FROM report_chunks WHERE report_id = ANY(${ids}) GROUP BY report_id`;
      expect(files.map((f) => [f.report_id, f.generations]).sort()).toEqual(ids.map((id) => [id, 1]).sort());
      const jobs = await sql<{ id: string; version: number; report_id: string; attempts: number; state: string }[]>`
        SELECT id, version, payload->>'reportId' AS report_id, attempts, state FROM outbox WHERE payload->>'reportId' = ANY(${ids})`;
      expect(jobs).toHaveLength(16);
      for (const j of jobs) expect({ ...j, id: undefined, version: undefined }, JSON.stringify(j)).toMatchObject({ attempts: 1, state: 'done' });
      // BullMQ's record of who ran each job (field pb, processedBy; the job id is the outbox id and version): both workers took part.
      const redis = new Redis(process.env.REDIS_URL!);
      try {
        const ran = await Promise.all(jobs.map((j) => redis.hget(`jicai-test-${name}:report:${jobIdOf(Number(j.id), j.version)}`, 'pb')));
        const pids = procs.slice(2).map((w) => w.child.pid);
        for (const by of ran) expect(pids.map((pid) => `:${pid}`)).toContain(by?.slice(by.lastIndexOf(':')));
        byWorker = pids.map((pid) => ran.filter((by) => by?.endsWith(`:${pid}`)).length);
      } finally {
        redis.disconnect();
      }
    } finally {
      await sql.end();
    }
    // Either API serves any report's file (files live in PostgreSQL).
    for (const [i, id] of ids.entries()) {
      const file = must(await apis[i % 2].get(`/v1/reports/${id}/file`, alliance), 200, 'report file');
      expect(file.headers.get('content-disposition')).toMatch(/attachment; filename=/);
      expect(file.text.length).toBeGreaterThan(0);
    }
    expect(byWorker.every((n) => n > 0), `jobs per worker: ${byWorker.join(' / ')}`).toBe(true);
    console.info(`several instances: 16 reports requested over two APIs, each done once; jobs run per worker: ${byWorker.join(' / ')}`);
  }, 150_000);
});
