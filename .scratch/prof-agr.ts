import { createDb } from '../src/db/client.js';
import { listAgreements } from '../src/results/agreements.js';
import { loadRound } from '../src/rounds/service.js';
import type { AppContext, Principal } from '../src/context.js';
const db = await createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/jicai_bench', max: 2 });
const ctx = { db } as unknown as AppContext;
const [{ id }] = await db.query<{ id: string }>('SELECT id FROM rounds WHERE no = 1');
const r = (await loadRound(db, id))!;
const hosp = await db.query<{ id: string; no: number }>(`SELECT id, no FROM organizations WHERE kind = 'hospital' ORDER BY no OFFSET 25000 LIMIT 1`);
const makers = await db.query<{ id: string; no: number; n: string }>(`SELECT o.id, o.no, sum(t.hospitals)::text AS n FROM award_totals t JOIN organizations o ON o.id = t.manufacturer_id WHERE t.round_id = $1 GROUP BY 1, 2 ORDER BY 3::int DESC`, [id]);
const who = (role: Principal['role'], orgId: string | null, no: number | null): Principal => ({ role, orgId, no, tokenId: null, regionCode: null, regionCodes: [] });
async function time(label: string, p: Principal) {
  const ts: number[] = [];
  let n = 0;
  for (let i = 0; i < 9; i++) { const t0 = performance.now(); n = (await listAgreements(ctx, p, r, {})).data.length; ts.push(performance.now() - t0); }
  console.log(label, ts.map((t) => t.toFixed(0)).join(' '), 'ms', n, 'rows');
}
await time('hospital', who('hospital', hosp[0].id, hosp[0].no));
await time(`largest maker (${makers[0].n})`, who('manufacturer', makers[0].id, makers[0].no));
await time(`smallest maker (${makers[makers.length - 1].n})`, who('manufacturer', makers[makers.length - 1].id, makers[makers.length - 1].no));
await time('alliance', who('alliance', r.allianceId, 1));
await db.close();
