import { spkiOf } from '../../src/bids/custody.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/outbox/service.js';
import { MASTER, op } from '../helpers.js';
import { award, bid, maker, open, round, world, type Maker, type Round, type World } from '../api/round-fixture.js';
import { csvRecords, generations, haveChromium, rawGet, settled, viewInChromium, workbook } from '../api/report-files.js';
import { builtEntry } from '../built.js';

/**
 * Production mode end to end: the API (here, in the test process) only writes
 * reports and relays their jobs; `npm run worker` (a real process) runs them,
 * on a Redis of the test's own (a redis-server on a free port), which the
 * test stops and starts again. Needs PostgreSQL (DATABASE_URL); on PGlite the
 * same processors run in-process (the second describe).
 */
const production = Boolean(process.env.DATABASE_URL);

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port')))); });
});

class OwnRedis {
  proc: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url() { return `redis://127.0.0.1:${this.port}`; }
  async start() {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await new Promise<boolean>((res) => {
        const c = spawn('redis-cli', ['-p', String(this.port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        c.stdout!.on('data', (d) => { out += d; });
        c.on('close', () => res(out.trim() === 'PONG'));
      })) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }
  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise((res) => { p.once('exit', res); p.kill('SIGKILL'); });
    this.proc = null;
  }
}

interface Worker { proc: ChildProcess; output: string[]; exited: Promise<number | null> }

function startWorker(w: World, redisUrl: string): Worker {
  const proc = spawn(process.execPath, builtEntry('jobs/main.ts'), {
    env: {
      PATH: process.env.PATH, DATABASE_URL: w.t.url!, REDIS_URL: redisUrl, JICAI_QUEUE_PREFIX: w.t.ctx.config.queuePrefix,
      JICAI_MASTER_KEY: MASTER,
      // The worker opens bids: it holds both parts of the test app's opening key (SECURITY.md "Key custody").
      JICAI_OPENING_PUBLIC_KEY: spkiOf(w.t.ctx.config.openingKey.publicKey).toString('base64'),
      JICAI_OPENING_PRIVATE_KEY: w.t.ctx.config.openingPrivateKey!.export({ format: 'pem', type: 'pkcs8' }).toString(), JICAI_DATA_DIR: mkdtempSync(join(tmpdir(), 'jicai-worker-')),
      JICAI_JOB_BACKOFF_MS: '50', JICAI_WORKER_SHUTDOWN_MS: '20000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (d) => output.push(String(d)));
  proc.stderr!.on('data', (d) => output.push(String(d)));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return { proc, output, exited };
}

async function awardedRound(w: World): Promise<{ r: Round; m: Maker }> {
  const m = await maker(w);
  const other = await maker(w);
  const r = await round(w, { demand: [['gz1', 'ATV20', 1000], ['nj', 'ATV20', 2000], ['bj', 'ATV20', 500]] });
  await bid(w, m, r, 'ATV20', '20');
  await bid(w, other, r, 'ATV20', '21');
  await open(w, r);
  await award(w, r);
  return { r, m };
}

describe.skipIf(!production)(production ? 'reports with the worker process (PostgreSQL, own Redis)' : 'reports with the worker process: skipped without DATABASE_URL', () => {
  let redis: OwnRedis;
  let w: World;
  let r: Round;
  let worker: Worker;
  const post = (format: string) => w.c.post(`/v1/rounds/${r.id}/reports`, w.alliance.h, { kind: 'round_summary', format });
  const wait = (id: string) => settled(w.t.app, id, w.alliance.h, async () => {}, 90_000);

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    // The API side relays only (work: false): every job here runs in the worker process.
    w = await world({ config: { redisUrl: redis.url }, work: false });
    // The worker first: it also opens the round's bids (the only process with the opening private key).
    worker = startWorker(w, redis.url);
    ({ r } = await awardedRound(w));
  }, 120_000);
  afterAll(async () => {
    if (worker?.proc.exitCode === null) { worker.proc.kill('SIGTERM'); await worker.exited; }
    await w?.t.close();
    await redis?.stop();
  });

  it('runs the four formats: queued → running → done, and each file reads back', async () => {
    const ids: Record<string, string> = {};
    for (const f of ['json', 'csv', 'xlsx', 'html']) {
      const res = await post(f);
      expect(res.status).toBe(202);
      ids[f] = res.body.id;
    }
    for (const [f, id] of Object.entries(ids)) {
      const { report } = await wait(id);
      expect(report, `${f}: ${worker.output.join('')}`).toMatchObject({ status: 'done', progress: 100 });
    }
    const file = async (f: string) => (await rawGet(w.t.app, `/v1/reports/${ids[f]}/file`, w.alliance.h)).body;
    const json = JSON.parse((await file('json')).toString('utf8'));
    const results = (await w.api.get(`/v1/rounds/${r.id}/results`, w.alliance.h)).body;
    expect(json.round).toEqual({ id: r.id, name: 'round', state: 'awarded', ...results.round });
    expect(json.items[0]).toMatchObject({ itemCode: 'ATV20', priceDrop: results.items[0].priceDrop, lowest: '2.0000', totalDemand: 3500 });
    const csv = csvRecords(await file('csv'));
    expect(csv).toHaveLength(json.items[0].winners.length);
    expect(csv[0]).toMatchObject({ itemCode: 'ATV20', value: json.items[0].winners[0].value });
    const wb = await workbook(await file('xlsx'));
    expect(wb.worksheets.map((s) => s.name)).toEqual(['Summary', 'Items', 'Winners', 'Regions', 'Hospitals']);
    expect(wb.getWorksheet('Items')!.getRow(2).getCell(9).value).toBe(3500);
    expect(wb.getWorksheet('Hospitals')!.rowCount).toBe(4);
    if (haveChromium) {
      const view = await viewInChromium(await file('html'));
      expect(view.errors).toEqual([]);
      expect(view.charts[0].width).toBeGreaterThan(300);
    } else {
      console.log('html in Chromium skipped here: /usr/bin/chromium not found');
    }
  }, 120_000);

  it('a job that throws ends failed with its message', async () => {
    const id = 'rep_broken_worker';
    await w.t.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO reports (id, round_id, requester_id, kind, format, created_at) VALUES ($1, $2, $3, 'round_summary', 'pdf', now())`,
        [id, r.id, w.alliance.id]);
      await enqueue(tx, 'report', { reportId: id }, w.t.clock.now());
    });
    w.t.jobs.kick();
    const { report } = await wait(id);
    expect(report).toMatchObject({ status: 'failed', error: 'report format "pdf" is not one of json, csv, xlsx, html' });
    const [job] = await w.t.db.query<{ attempts: number }>(`SELECT attempts FROM outbox WHERE payload->>'reportId' = $1`, [id]);
    expect(job.attempts).toBe(5);
  }, 60_000);

  it('takes requests while Redis is down; all complete after it returns, none lost, none done twice', async () => {
    await redis.stop();
    const ids: string[] = [];
    for (const f of ['json', 'csv', 'xlsx', 'html', 'json', 'csv']) {
      const res = await post(f);
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    await new Promise((res) => setTimeout(res, 1500));
    for (const id of ids) expect((await w.c.get(`/v1/reports/${id}`, w.alliance.h)).body.status).toBe('queued');
    await redis.start();
    for (const id of ids) expect((await wait(id)).report.status, worker.output.join('')).toBe('done');
    for (const id of ids) {
      expect(await generations(w.t.db, id)).toHaveLength(1);
      const [job] = await w.t.db.query<{ attempts: number; state: string }>(`SELECT attempts, state FROM outbox WHERE payload->>'reportId' = $1`, [id]);
      expect(job).toEqual({ attempts: 1, state: 'done' });
    }
  }, 120_000);

  it('SIGTERM: the worker finishes or hands back its active job, and exits 0; another worker completes what is left', async () => {
    const res = await post('xlsx');
    for (let i = 0; i < 200; i++) {
      const s = (await w.c.get(`/v1/reports/${res.body.id}`, w.alliance.h)).body.status;
      if (s !== 'queued') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output.join('')).toMatch(/SIGTERM: stopped/);
    const after = await post('csv');
    worker = startWorker(w, redis.url);
    for (const id of [res.body.id, after.body.id]) {
      expect((await wait(id)).report.status).toBe('done');
      expect(await generations(w.t.db, id)).toHaveLength(1);
    }
    expect((await rawGet(w.t.app, `/v1/reports/${after.body.id}/file`, op)).status).toBe(200);
  }, 120_000);
});

describe('reports in embedded mode (PGlite, jobs in-process)', () => {
  let w: World;
  let r: Round;
  beforeAll(async () => { w = await world({ pglite: true }); ({ r } = await awardedRound(w)); });
  afterAll(async () => { await w?.t.close(); });

  it('the in-process runner writes the report: json and xlsx read back', async () => {
    expect(w.t.jobs.kind).toBe('in-process');
    const step = () => (w.t.jobs as unknown as { runDue(): Promise<void> }).runDue();
    for (const format of ['json', 'xlsx']) {
      const res = await w.c.post(`/v1/rounds/${r.id}/reports`, w.alliance.h, { kind: 'round_summary', format });
      expect(res.status).toBe(202);
      expect((await settled(w.t.app, res.body.id, w.alliance.h, step)).report.status).toBe('done');
      const file = await rawGet(w.t.app, `/v1/reports/${res.body.id}/file`, w.alliance.h);
      if (format === 'json') expect(JSON.parse(file.body.toString('utf8')).items[0]).toMatchObject({ itemCode: 'ATV20', totalDemand: 3500 });
      else expect((await workbook(file.body)).worksheets.map((s) => s.name)).toEqual(['Summary', 'Items', 'Winners', 'Regions', 'Hospitals']);
    }
  });
});
