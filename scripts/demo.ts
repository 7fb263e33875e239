/**
 * npm run demo: drives a whole small round over HTTP against a running server
 * (npm start in another terminal) and prints the results table. Every call goes
 * through the typed client generated from openapi/openapi.json (src/client).
 *   JICAI_URL (default http://127.0.0.1:3000), JICAI_MASTER_KEY (default: read from ./data/master-key)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jicaiClient, must, type BodyOf } from '../src/client/index.js';

const base = process.env.JICAI_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const keyFile = join(process.env.JICAI_DATA_DIR ?? './data', 'master-key');
const master = process.env.JICAI_MASTER_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '');
if (!master) { console.error(`No operator key: set JICAI_MASTER_KEY or start the server once so that ${keyFile} exists.`); process.exit(1); }

const operator = jicaiClient(base, { token: master });
const step = (s: string) => console.log(`• ${s}`);

const tag = Date.now().toString(36);
async function organization(input: BodyOf<'/v1/organizations', 'post'>) {
  const o = await must(operator.POST('/v1/organizations', { body: input }));
  const t = await must(operator.POST('/v1/organizations/{id}/tokens', { params: { path: { id: o.id } }, body: { name: 'demo' } }));
  return { id: o.id, name: input.name, token: t.token, api: jicaiClient(base, { token: t.token }) };
}

step(`jicai at ${base}`);
const alliance = await organization({ kind: 'alliance', name: `三省联盟 ${tag}`, regionCode: '440000', regionCodes: ['440000', '320000', '330000', '110000'] });
const hospitals = await Promise.all(([
  ['广州医院', '440103', 10000], ['深圳医院', '440304', 5000], ['南京医院', '320102', 6000], ['杭州医院', '330106', 3000], ['北京医院', '110105', 1999],
] as const).map(async ([name, regionCode, quantity]) => ({ ...(await organization({ kind: 'hospital', name: `${name} ${tag}`, regionCode })), quantity })));
step(`alliance, ${hospitals.length} hospitals`);

type Tier = BodyOf<'/v1/products', 'post'>['qualityTier'];
const offers: [string, string, number, Tier, string][] = [
  ['药企甲', '20', 28, 'consistency_passed', '16.80'], ['药企乙', '10', 14, 'originator', '4.20'], ['药企丙', '40', 7, 'reference', '6.30'],
  ['药企丁', '20', 7, 'consistency_passed', '6.44'], ['药企戊', '20', 10, 'not_evaluated', '3.00'], ['药企己', '20', 10, 'consistency_passed', '12.00'],
];
const makers: (Awaited<ReturnType<typeof organization>> & { productId: string; price: string; label: string })[] = [];
for (const [name, mg, packSize, qualityTier, price] of offers) {
  const m = await organization({ kind: 'manufacturer', name: `${name} ${tag}`, regionCode: '310000' });
  const p = await must(m.api.POST('/v1/products', {
    body: {
      genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' }, packSize,
      approvalNumber: `国药准字H${tag}${makers.length}`, qualityTier,
    },
  }));
  await must(alliance.api.POST('/v1/products/{id}/verify', { params: { path: { id: p.id } } }));
  makers.push({ ...m, productId: p.id, price, label: `${name} ${mg} mg × ${packSize}` });
}
step(`${makers.length} manufacturers with verified products`);

const windowSeconds = 6;
const now = Date.now();
const round = await must(alliance.api.POST('/v1/rounds', {
  body: {
    name: `阿托伐他汀钙片 ${tag}`, rules: { preset: 'nvbp' }, contractMonths: 12,
    bidOpensAt: new Date(now).toISOString(), bidClosesAt: new Date(now + windowSeconds * 1000 + 4000).toISOString(),
  },
}));
const path = { id: round.id };
const itemPath = { id: round.id, itemCode: 'ATV20' };
await must(alliance.api.POST('/v1/rounds/{id}/items', {
  params: { path },
  body: {
    code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
    referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
  },
}));
await must(alliance.api.POST('/v1/rounds/{id}/publish', { params: { path } }));
step(`round ${round.id} published (preset nvbp)`);
for (const h of hospitals) {
  await must(h.api.PUT('/v1/rounds/{id}/demand/{itemCode}', {
    params: { path: itemPath },
    body: { quantity: h.quantity, ...(h.name.startsWith('杭州') ? { preferredManufacturerId: makers[3].id } : {}) },
  }));
}
step('demand reported by every hospital');
await must(alliance.api.POST('/v1/rounds/{id}/start-bidding', { params: { path } }));
for (const m of makers) {
  const r = await must(m.api.PUT('/v1/rounds/{id}/bids/{itemCode}', { params: { path: itemPath }, body: { productId: m.productId, packagePrice: m.price } }));
  console.log(`  sealed bid of ${m.label}: receipt ${r.receipt.digest.slice(0, 16)}…`);
}
const closesAt = new Date(round.bidClosesAt).getTime();
step(`waiting ${Math.max(0, Math.ceil((closesAt - Date.now()) / 1000))} s for the bid window to close`);
await new Promise((r) => setTimeout(r, Math.max(0, closesAt - Date.now()) + 200));
const results = await must(alliance.api.POST('/v1/rounds/{id}/open', { params: { path } }));
await must(makers[2].api.PUT('/v1/rounds/{id}/region-preferences/{itemCode}', { params: { path: itemPath }, body: { regionCodes: ['110000'] } }));
await must(alliance.api.POST('/v1/rounds/{id}/award', { params: { path } }));
step('opened and awarded');

const nameOf = (id: string | null) => makers.find((m) => m.id === id)?.label ?? hospitals.find((h) => h.id === id)?.name ?? id;
for (const item of results.items) {
  console.log(`\n${item.itemCode}: ${item.outcome}, ${item.eligibleBidders} eligible, lowest ${item.lowest}, ${item.maxWinners} winners max, ratio ${item.agreedVolumeRatio}, price drop ${item.priceDrop}`);
  console.table(item.bids.map((b) => ({
    bidder: nameOf(b.manufacturerId), packagePrice: b.packagePrice, unitPrice: b.unitPrice, comparable: b.comparableUnitPrice,
    eligible: b.eligible ? 'yes' : `no: ${b.reason}`, candidateBy: b.candidateBy, rank: b.rank, winner: b.winner,
  })));
}
const agreements = await must(alliance.api.GET('/v1/rounds/{id}/agreements', { params: { path } }));
console.table(agreements.data.map((a) => ({ hospital: nameOf(a.hospitalId), supplier: nameOf(a.manufacturerId), demand: a.demand, agreed: a.agreedQuantity, comparableUnitPrice: a.comparableUnitPrice })));
const final = await must(alliance.api.GET('/v1/rounds/{id}/results', { params: { path } }));
console.log(`average drop ${final.round.averageDrop}, volume-weighted drop ${final.round.weightedDrop}`);
