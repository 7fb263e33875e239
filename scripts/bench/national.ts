/**
 * The national round every benchmark builds on, measured as it is built:
 * 50,000 hospitals (bulk upload), 64 manufacturers × 60 verified products, a
 * round of 60 items whose 3,000,000 demand lines are uploaded as one CSV
 * (against psql \copy of the same file), 1,000 sealed bids, opening and award.
 *   BENCH_HOSPITALS (50000), BENCH_ITEMS (60), BENCH_BIDS (1000)
 */
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { newOpeningKeyPair } from '../../src/bids/custody.js';
import { startupMemory } from './startup-memory.js';
import { randomBytes } from 'node:crypto';
import {
  DIR, PROVINCES, REDIS_URL, apiClient, fmtInt, freshDatabase, nodeArgs, psql, psqlTimed, relationMB, rssPeak, seconds, startServer, upload,
  type ApiClient, type Section, type Server,
  benchPort,
} from './common.js';

export const HOSPITALS = Number(process.env.BENCH_HOSPITALS ?? 50_000);
export const ITEMS = Number(process.env.BENCH_ITEMS ?? 60);
export const BIDS = Number(process.env.BENCH_BIDS ?? 1000);
export const MANUFACTURERS = 64;
/** BENCH_DB: another name lets two benches run side by side (each drops and recreates its own). */
export const DB = process.env.BENCH_DB ?? 'jicai_bench';

export interface Maker { id: string; token: string; api: ApiClient; products: string[] }
export interface Party { id: string; token: string; api: ApiClient }

/** What the benchmarks share: the API process, its database, the parties and the awarded national round. */
export interface National {
  api: Server; pid: number; dbUrl: string; master: string; env: Record<string, string>;
  /** The opening private key, for the workers the modules start (the API holds the public part alone). */
  openingPrivatePem: string;
  op: ApiClient; alliance: Party; makers: Maker[]; itemCodes: string[];
  /** Hospital ids and external ids, in the demand file's order. */
  hospitalIds: string[]; hospitalExternalIds: string[];
  /** The national round, awarded. */
  roundId: string;
  /** Makes a round of ITEMS items over every province, published (state demand), closing in `closesInMs`. */
  makeRound(name: string, closesInMs: number): Promise<string>;
  token(orgId: string): Promise<string>;
  sections: Section[];
}

export async function national(): Promise<National> {
  mkdirSync(DIR, { recursive: true });
  const master = 'bench-master-key-' + randomBytes(8).toString('hex');
  const dbUrl = freshDatabase(DB);
  // The API holds the opening public key alone; the worker, the only process that opens bids, the private key (SECURITY.md).
  const opening = newOpeningKeyPair();
  const env = {
    DATABASE_URL: dbUrl, REDIS_URL, JICAI_MASTER_KEY: master, JICAI_OPENING_PUBLIC_KEY: opening.publicBase64,
    PORT: benchPort(1), LOG_LEVEL: 'warn', JICAI_DATA_DIR: DIR, JICAI_OPENING_WAIT_MS: '600000',
    // BullMQ keys of this run only: a fresh database restarts outbox ids, and a finished job of an earlier run with the same id would be taken for it.
    JICAI_QUEUE_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
  };
  const api = await startServer('src/server.ts', env);
  const worker = spawn(process.execPath, nodeArgs('jobs/main.ts'), {
    env: { ...process.env, ...env, JICAI_OPENING_PRIVATE_KEY: opening.privatePem }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.on('exit', () => worker.kill('SIGKILL'));
  const pid = api.proc.pid!;
  const sections: Section[] = [await startupMemory(pid, env)];
  const op = apiClient(api.url, master);
  const token = async (orgId: string) => (await op('POST', `/v1/organizations/${orgId}/tokens`, { name: 'bench' })).token as string;

  // ---- organizations: one alliance over every province, hospitals by bulk upload, manufacturers with products
  const a = await op('POST', '/v1/organizations', { kind: 'alliance', name: '全国联盟', regionCode: '110000', regionCodes: PROVINCES.map((p) => p + '0000') });
  const allianceToken = await token(a.id);
  const alliance = { id: a.id as string, token: allianceToken, api: apiClient(api.url, allianceToken) };
  const hospFile = `${DIR}/hospitals.csv`;
  {
    const w = createWriteStream(hospFile);
    w.write('kind,name,regionCode,externalId\n');
    for (let i = 0; i < HOSPITALS; i++) {
      const p = PROVINCES[i % PROVINCES.length];
      const city = String(1 + (Math.floor(i / PROVINCES.length) % 15)).padStart(2, '0');
      const county = String(1 + (i % 9)).padStart(2, '0');
      if (!w.write(`hospital,医院${i},${p}${city}${county},H${i}\n`)) await once(w, 'drain');
    }
    w.end(); await once(w, 'finish');
  }
  const hosp = await upload(api.url, 'POST', '/v1/organizations/bulk', master, hospFile, 'text/csv');
  console.log(`hospitals: ${HOSPITALS} in ${seconds(hosp.ms)} s`);

  const itemCodes = Array.from({ length: ITEMS }, (_, i) => `ITEM${String(i).padStart(3, '0')}`);
  const makers: Maker[] = [];
  for (let m = 0; m < MANUFACTURERS; m++) {
    const o = await op('POST', '/v1/organizations', { kind: 'manufacturer', name: `药企${m}`, regionCode: '310000' });
    const tk = await token(o.id);
    const mApi = apiClient(api.url, tk);
    const products: string[] = [];
    for (let i = 0; i < ITEMS; i++) {
      const p = await mApi('POST', '/v1/products', {
        genericName: `generic-${i}`, dosageForm: 'tablet', category: 'drug', strength: { value: m % 2 ? '20' : '10', unit: 'mg' },
        packSize: 28, approvalNumber: `H${m}-${i}`, qualityTier: 'consistency_passed',
      });
      await alliance.api('POST', `/v1/products/${p.id}/verify`);
      products.push(p.id);
    }
    makers.push({ id: o.id, token: tk, api: mApi, products });
  }

  async function makeRound(name: string, closesInMs: number) {
    const now = Date.now();
    const r = await alliance.api('POST', '/v1/rounds', {
      name, rules: { preset: 'nvbp' }, bidOpensAt: new Date(now - 1000).toISOString(), bidClosesAt: new Date(now + closesInMs).toISOString(), contractMonths: 12,
      contractStart: '2026-01',
    });
    for (let i = 0; i < ITEMS; i++) {
      await alliance.api('POST', `/v1/rounds/${r.id}/items`, {
        code: itemCodes[i], genericName: `generic-${i}`, dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '5.0000', baselineUnitPrice: '4.0000',
      });
    }
    await alliance.api('POST', `/v1/rounds/${r.id}/publish`);
    return r.id as string;
  }

  // ---- demand: the same 3,000,000-line file through psql \copy (twice: the file's own table, and the old demand layout) and the API
  const roundId = await makeRound('national scale', 15 * 60_000);
  const hospitals = psql(DB, `SELECT id, external_id FROM organizations WHERE kind = 'hospital' ORDER BY no`).trim().split('\n').map((l) => l.split('|'));
  const hospitalIds = hospitals.map((h) => h[0]);
  const hospitalExternalIds = hospitals.map((h) => h[1]);
  // The same lines twice: by external id (what the API is sent) and by hospital id (for the old-layout baseline).
  const demandFile = `${DIR}/demand.csv`;
  const demandByIdFile = `${DIR}/demand-by-id.csv`;
  {
    const w = createWriteStream(demandFile);
    const v = createWriteStream(demandByIdFile);
    w.write('hospitalExternalId,itemCode,quantity\n');
    v.write('hospitalId,itemCode,quantity\n');
    for (let k = 0; k < hospitalExternalIds.length; k++) {
      let chunk = '', byId = '';
      for (let i = 0; i < itemCodes.length; i++) {
        const q = 100 + ((k * 7919 + i * 104_729) % 9900);
        chunk += `${hospitalExternalIds[k]},${itemCodes[i]},${q}\n`;
        byId += `${hospitalIds[k]},${itemCodes[i]},${q}\n`;
      }
      const a = w.write(chunk), b = v.write(byId);
      // Both listeners at once: awaiting one drain and then the other missed a 'drain' that came meanwhile (a hang).
      if (!a || !b) await Promise.all([a ? null : once(w, 'drain'), b ? null : once(v, 'drain')]);
    }
    w.end(); v.end(); await Promise.all([once(w, 'finish'), once(v, 'finish')]);
  }
  const rows = hospitalIds.length * ITEMS;
  sections.push(await ingestion({ api, pid, master, roundId, demandFile, demandByIdFile, rows, alliance }));

  // ---- 1,000 sealed bids on the national round, then opening and award
  await alliance.api('POST', `/v1/rounds/${roundId}/start-bidding`);
  for (let b = 0; b < BIDS; b++) {
    const i = b % ITEMS, m = Math.floor(b / ITEMS);
    const price = (20 + ((b * 37) % 100) / 10).toFixed(2); // per pack of 28: comparable 0.71–1.07 (10 mg × 1.7)
    await makers[m % MANUFACTURERS].api('PUT', `/v1/rounds/${roundId}/bids/${itemCodes[i]}`, { productId: makers[m % MANUFACTURERS].products[i], packagePrice: price });
  }
  // Rather than wait out the 15-minute window on the wall clock, the bench moves the
  // round's bidClosesAt to now in the database (the API has no route that may do this).
  psql(DB, `UPDATE rounds SET bid_closes_at = now() WHERE id = '${roundId}'`);
  const rss = rssPeak(pid);
  let t0 = Date.now();
  const results = await alliance.api('POST', `/v1/rounds/${roundId}/open`);
  const openMs = Date.now() - t0;
  t0 = Date.now();
  await alliance.api('POST', `/v1/rounds/${roundId}/award`);
  const awardMs = Date.now() - t0;
  const rssOpen = rss.stop();
  const agreements = Number(psql(DB, `SELECT coalesce(sum(hospitals), 0) FROM award_totals WHERE round_id = '${roundId}'`).trim());
  const total = openMs + awardMs;
  sections.push({
    title: `Opening, evaluation and award at national scale`,
    body: `${ITEMS} items, ${fmtInt(HOSPITALS)} hospitals, ${fmtInt(rows)} demand rows, ${fmtInt(BIDS)} bids.

| figure | value |
|---|---|
| POST /open (unwrap, decrypt, verify receipts, evaluate, store) | ${seconds(openMs)} s |
| POST /award (one pass over demand, allocations, winners and per-winner totals over ${fmtInt(agreements)} agreements) | ${seconds(awardMs)} s |
| total | **${seconds(total)} s** |
| API peak RSS during open + award | **${rssOpen.toFixed(0)} MiB** |
| awarded items, averageDrop | ${results.round.awardedItems}, ${results.round.averageDrop} |`,
    targets: [
      { target: 'open + evaluate + award ≤ 2 s', measured: `${seconds(total)} s`, met: total <= 2000 },
      { target: 'API RSS < 1 GB during open + award', measured: `${rssOpen.toFixed(0)} MiB`, met: rssOpen < 1024 },
    ],
  });
  return { api, pid, dbUrl, master, env, openingPrivatePem: opening.privatePem, op, alliance, makers, itemCodes, hospitalIds, hospitalExternalIds, roundId, makeRound, token, sections };
}

/**
 * Demand ingestion: the file into the API, against two psql \copy baselines
 * measured in the same run: a table of the file's own columns keyed by the
 * file's key (the physical limit the issue sets), and a table shaped like the
 * demand table before compact keys (text ids), the baseline reported before.
 */
async function ingestion(o: {
  api: Server; pid: number; master: string; roundId: string; demandFile: string; demandByIdFile: string; rows: number; alliance: Party;
}): Promise<Section> {
  const fileMB = statSync(o.demandFile).size / 1e6;
  psql(DB, `CREATE TABLE copy_file (hospital_external_id text NOT NULL, item_code text NOT NULL, quantity integer NOT NULL,
    PRIMARY KEY (hospital_external_id, item_code))`);
  psql(DB, 'CHECKPOINT');
  const fileMs = psqlTimed(DB, `\\copy copy_file FROM '${o.demandFile}' WITH (FORMAT csv, HEADER true)`);
  const fileSize = relationMB(DB, 'copy_file');
  psql(DB, 'DROP TABLE copy_file');
  // The old layout (migration 0000): text round, hospital (30 characters) and item ids in the key.
  psql(DB, `CREATE TABLE copy_old (round_id text NOT NULL DEFAULT '${o.roundId}', item_code text NOT NULL, hospital_id text NOT NULL,
    quantity integer NOT NULL, preferred_manufacturer_id text, PRIMARY KEY (round_id, hospital_id, item_code))`);
  psql(DB, 'CHECKPOINT');
  const oldMs = psqlTimed(DB, `\\copy copy_old (hospital_id, item_code, quantity) FROM '${o.demandByIdFile}' WITH (FORMAT csv, HEADER true)`);
  const oldSize = relationMB(DB, 'copy_old');
  psql(DB, 'DROP TABLE copy_old');
  psql(DB, 'CHECKPOINT');

  const rss = rssPeak(o.pid);
  const up = await upload(o.api.url, 'POST', `/v1/rounds/${o.roundId}/demand/bulk`, o.alliance.token, o.demandFile, 'text/csv');
  const peak = rss.stop();
  const newSize = Number(psql(DB, `SELECT pg_total_relation_size('demand')`).trim()) / 1e6;
  const rate = (ms: number) => fmtInt(o.rows / (ms / 1000));
  const ratio = fileMs / up.ms;
  return {
    title: 'Demand ingestion',
    body: `${fmtInt(o.rows)} rows, one CSV file of ${fileMB.toFixed(0)} MB (\`hospitalExternalId,itemCode,quantity\`), in one run:

| path | time | rows/s | table + indexes |
|---|---|---|---|
| psql \\copy into a table of the file's columns, primary key (hospital_external_id, item_code) | ${seconds(fileMs)} s | ${rate(fileMs)} | ${fileSize.toFixed(0)} MB |
| psql \\copy into a table shaped like demand before compact keys (text round, hospital and item ids) | ${seconds(oldMs)} s | ${rate(oldMs)} | ${oldSize.toFixed(0)} MB |
| API: POST /v1/rounds/{id}/demand/bulk (${up.body.rows} rows) | **${seconds(up.ms)} s** | **${rate(up.ms)}** | ${newSize.toFixed(0)} MB (demand, integer keys) |

Ratio API / psql \\copy into the file's own table: **${ratio.toFixed(2)}×** (against the old-layout baseline: ${(oldMs / up.ms).toFixed(2)}×).
API peak RSS while streaming: **${peak.toFixed(0)} MiB** (${rss.start.toFixed(0)} MiB as the upload began: the upload itself added ${(peak - rss.start).toFixed(0)} MiB).

The API reads the file once as it streams: each line is checked and mapped to integer keys (hospital, item, preferred manufacturer: an index of the platform's
hospitals read once per upload), the lines go by COPY into an unlogged staging table of integers, and one INSERT … SELECT in primary-key order writes demand
(no sort when the lines came in key order, as this file's do; an upsert once the round has demand; a key repeated in the upload fails that statement and SQL
names both lines). Each line carries its hospital's city (award groups by supply unit without a join), and a round's first upload takes its per-item totals
from the stream instead of summing what it wrote.`,
    targets: [
      { target: 'demand ingestion ≥ 0.5× psql \\copy of the file into its own table', measured: `${ratio.toFixed(2)}×`, met: ratio >= 0.5 },
      { target: 'API RSS < 300 MB while streaming demand', measured: `${peak.toFixed(0)} MiB`, met: peak < 300 },
    ],
  };
}
