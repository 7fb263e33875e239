/**
 * The embedded mode (PGlite in ./data, jobs in-process) on a regional round:
 * 5,000 hospitals × 60 items (300,000 demand rows), the same migrations and
 * code path as production, in a server process of its own.
 *   BENCH_EMBEDDED_HOSPITALS (5000)
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { apiClient, benchPort, fmtInt, rssPeak, seconds, startServer, upload, PROVINCES, type Section } from './common.js';
import { ITEMS } from './national.js';

const HOSPITALS = Number(process.env.BENCH_EMBEDDED_HOSPITALS ?? 5000);
const MAKERS = 8;
const WINDOW_MS = 120_000;

export async function run(): Promise<Section> {
  const dir = `${process.cwd()}/.bench/embedded`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const master = 'bench-embedded-key-' + randomBytes(8).toString('hex');
  const api = await startServer('src/server.ts', { DATABASE_URL: '', REDIS_URL: '', JICAI_DATA_DIR: dir, JICAI_MASTER_KEY: master, PORT: benchPort(3), LOG_LEVEL: 'warn' });
  try {
    const op = apiClient(api.url, master);
    const token = async (id: string) => (await op('POST', `/v1/organizations/${id}/tokens`, { name: 'bench' })).token as string;
    const a = await op('POST', '/v1/organizations', { kind: 'alliance', name: '区域联盟', regionCode: '440000', regionCodes: PROVINCES.slice(0, 5).map((p) => p + '0000') });
    const alliance = apiClient(api.url, await token(a.id));
    const allianceToken = await token(a.id);
    const hospFile = `${dir}/hospitals.csv`;
    {
      const w = createWriteStream(hospFile);
      w.write('kind,name,regionCode,externalId\n');
      for (let i = 0; i < HOSPITALS; i++) w.write(`hospital,医院${i},${PROVINCES[i % 5]}${String(1 + (i % 15)).padStart(2, '0')}01,R${i}\n`);
      w.end(); await once(w, 'finish');
    }
    await upload(api.url, 'POST', '/v1/organizations/bulk', master, hospFile, 'text/csv');
    const codes = Array.from({ length: ITEMS }, (_, i) => `ITEM${String(i).padStart(3, '0')}`);
    const makers: { api: ReturnType<typeof apiClient>; products: string[] }[] = [];
    for (let m = 0; m < MAKERS; m++) {
      const o = await op('POST', '/v1/organizations', { kind: 'manufacturer', name: `药企${m}`, regionCode: '310000' });
      const mApi = apiClient(api.url, await token(o.id));
      const products: string[] = [];
      for (let i = 0; i < ITEMS; i++) {
        const p = await mApi('POST', '/v1/products', { genericName: `generic-${i}`, dosageForm: 'tablet', category: 'drug', strength: { value: '20', unit: 'mg' },
          packSize: 28, approvalNumber: `R${m}-${i}`, qualityTier: 'consistency_passed' });
        await alliance('POST', `/v1/products/${p.id}/verify`);
        products.push(p.id);
      }
      makers.push({ api: mApi, products });
    }
    const created = Date.now();
    const r = await alliance('POST', '/v1/rounds', { name: 'regional', rules: { preset: 'nvbp' }, bidOpensAt: new Date(created - 1000).toISOString(),
      bidClosesAt: new Date(created + WINDOW_MS).toISOString(), contractMonths: 12 });
    for (const code of codes) {
      await alliance('POST', `/v1/rounds/${r.id}/items`, { code, genericName: `generic-${codes.indexOf(code)}`, dosageForm: 'tablet', category: 'drug', unit: 'tablet',
        referenceStrength: { value: '20', unit: 'mg' }, maxUnitPrice: '5.0000', baselineUnitPrice: '4.0000' });
    }
    await alliance('POST', `/v1/rounds/${r.id}/publish`);
    const demandFile = `${dir}/demand.csv`;
    {
      const w = createWriteStream(demandFile);
      w.write('hospitalExternalId,itemCode,quantity\n');
      for (let i = 0; i < HOSPITALS; i++) {
        let chunk = '';
        for (let k = 0; k < ITEMS; k++) chunk += `R${i},${codes[k]},${100 + ((i * 31 + k * 17) % 900)}\n`;
        if (!w.write(chunk)) await once(w, 'drain');
      }
      w.end(); await once(w, 'finish');
    }
    const rss = rssPeak(api.proc.pid!);
    const up = await upload(api.url, 'POST', `/v1/rounds/${r.id}/demand/bulk`, allianceToken, demandFile, 'text/csv');
    const uploadRss = rss.stop();
    await alliance('POST', `/v1/rounds/${r.id}/start-bidding`);
    for (let m = 0; m < MAKERS; m++) {
      for (let i = 0; i < ITEMS; i++) await makers[m].api('PUT', `/v1/rounds/${r.id}/bids/${codes[i]}`, { productId: makers[m].products[i], packagePrice: (20 + m + (i % 7) / 10).toFixed(2) });
    }
    // The embedded database is inside the server process: wait for the bid window to close on the wall clock.
    const wait = created + WINDOW_MS - Date.now() + 500;
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    const rss2 = rssPeak(api.proc.pid!);
    const t0 = Date.now();
    await alliance('POST', `/v1/rounds/${r.id}/open`);
    const openMs = Date.now() - t0;
    const t1 = Date.now();
    await alliance('POST', `/v1/rounds/${r.id}/award`);
    const awardMs = Date.now() - t1;
    const peak = rss2.stop();
    const rows = HOSPITALS * ITEMS;
    return {
      title: 'Embedded mode (PGlite), a regional round',
      body: `\`npm start\` without configuration (PGlite in a data directory, jobs in-process), ${fmtInt(HOSPITALS)} hospitals × ${ITEMS} items = ${fmtInt(rows)} demand rows,
${MAKERS} manufacturers, ${MAKERS * ITEMS} bids; the same migrations and code path as production (PGlite buffers a COPY's input in memory).

| figure | value |
|---|---|
| demand upload (CSV, ${fmtInt(up.body.rows)} rows) | ${seconds(up.ms)} s (${fmtInt(rows / (up.ms / 1000))} rows/s), server peak RSS ${uploadRss.toFixed(0)} MiB |
| POST /open | ${seconds(openMs)} s |
| POST /award | ${seconds(awardMs)} s |
| open + award, server peak RSS | ${seconds(openMs + awardMs)} s, ${peak.toFixed(0)} MiB |`,
      targets: [],
    };
  } finally {
    await api.stop();
  }
}
