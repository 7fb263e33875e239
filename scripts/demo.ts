/**
 * npm run demo: drives a whole small round over HTTP against a running server
 * (npm start in another terminal) and prints the results table.
 *   JICAI_URL (default http://127.0.0.1:3000), JICAI_MASTER_KEY (default: read from ./data/master-key)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.JICAI_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const keyFile = join(process.env.JICAI_DATA_DIR ?? './data', 'master-key');
const master = process.env.JICAI_MASTER_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '');
if (!master) { console.error(`No operator key: set JICAI_MASTER_KEY or start the server once so that ${keyFile} exists.`); process.exit(1); }

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}
const step = (s: string) => console.log(`• ${s}`);

const tag = Date.now().toString(36);
async function organization(input: Record<string, unknown>) {
  const o = await call(master, 'POST', '/v1/organizations', input);
  const t = await call(master, 'POST', `/v1/organizations/${o.id}/tokens`, { name: 'demo' });
  return { id: o.id as string, name: input.name as string, token: t.token as string };
}

step(`jicai at ${base}`);
const alliance = await organization({ kind: 'alliance', name: `三省联盟 ${tag}`, regionCode: '440000', regionCodes: ['440000', '320000', '330000', '110000'] });
const hospitals = await Promise.all([
  ['广州医院', '440103', 10000], ['深圳医院', '440304', 5000], ['南京医院', '320102', 6000], ['杭州医院', '330106', 3000], ['北京医院', '110105', 1999],
].map(async ([name, regionCode, quantity]) => ({ ...(await organization({ kind: 'hospital', name: `${name} ${tag}`, regionCode })), quantity: quantity as number })));
step(`alliance, ${hospitals.length} hospitals`);

const offers: [string, string, number, string, string][] = [
  ['药企甲', '20', 28, 'consistency_passed', '16.80'], ['药企乙', '10', 14, 'originator', '4.20'], ['药企丙', '40', 7, 'reference', '6.30'],
  ['药企丁', '20', 7, 'consistency_passed', '6.44'], ['药企戊', '20', 10, 'not_evaluated', '3.00'], ['药企己', '20', 10, 'consistency_passed', '12.00'],
];
const makers: { id: string; name: string; token: string; productId: string; price: string; label: string }[] = [];
for (const [name, mg, packSize, qualityTier, price] of offers) {
  const m = await organization({ kind: 'manufacturer', name: `${name} ${tag}`, regionCode: '310000' });
  const p = await call(m.token, 'POST', '/v1/products', {
    genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: mg, unit: 'mg' }, packSize, approvalNumber: `国药准字H${tag}${makers.length}`, qualityTier,
  });
  await call(alliance.token, 'POST', `/v1/products/${p.id}/verify`);
  makers.push({ ...m, productId: p.id as string, price, label: `${name} ${mg} mg × ${packSize}` });
}
step(`${makers.length} manufacturers with verified products`);

const windowSeconds = 6;
const now = Date.now();
const round = await call(alliance.token, 'POST', '/v1/rounds', {
  name: `阿托伐他汀钙片 ${tag}`, rules: { preset: 'nvbp' }, contractMonths: 12,
  bidOpensAt: new Date(now).toISOString(), bidClosesAt: new Date(now + windowSeconds * 1000 + 4000).toISOString(),
});
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/items`, {
  code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
  referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
});
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/publish`);
step(`round ${round.id} published (preset nvbp)`);
for (const h of hospitals) {
  await call(h.token, 'PUT', `/v1/rounds/${round.id}/demand/ATV20`, {
    quantity: h.quantity, ...(h.name.startsWith('杭州') ? { preferredManufacturerId: makers[3].id } : {}),
  });
}
step('demand reported by every hospital');
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/start-bidding`);
for (const m of makers) {
  const r = await call(m.token, 'PUT', `/v1/rounds/${round.id}/bids/ATV20`, { productId: m.productId, packagePrice: m.price });
  console.log(`  sealed bid of ${m.label}: receipt ${r.receipt.digest.slice(0, 16)}…`);
}
const closesAt = new Date(round.bidClosesAt).getTime();
step(`waiting ${Math.max(0, Math.ceil((closesAt - Date.now()) / 1000))} s for the bid window to close`);
await new Promise((r) => setTimeout(r, Math.max(0, closesAt - Date.now()) + 200));
const results = await call(alliance.token, 'POST', `/v1/rounds/${round.id}/open`);
await call(makers[2].token, 'PUT', `/v1/rounds/${round.id}/region-preferences/ATV20`, { regionCodes: ['110000'] });
await call(alliance.token, 'POST', `/v1/rounds/${round.id}/award`);
step('opened and awarded');

const nameOf = (id: string) => makers.find((m) => m.id === id)?.label ?? hospitals.find((h) => h.id === id)?.name ?? id;
for (const item of results.items) {
  console.log(`\n${item.itemCode}: ${item.outcome}, ${item.eligibleBidders} eligible, lowest ${item.lowest}, ${item.maxWinners} winners max, ratio ${item.agreedVolumeRatio}, price drop ${item.priceDrop}`);
  console.table(item.bids.map((b: any) => ({
    bidder: nameOf(b.manufacturerId), packagePrice: b.packagePrice, unitPrice: b.unitPrice, comparable: b.comparableUnitPrice,
    eligible: b.eligible ? 'yes' : `no: ${b.reason}`, candidateBy: b.candidateBy, rank: b.rank, winner: b.winner,
  })));
}
const agreements = await call(alliance.token, 'GET', `/v1/rounds/${round.id}/agreements`);
console.table(agreements.data.map((a: any) => ({ hospital: nameOf(a.hospitalId), supplier: nameOf(a.manufacturerId), demand: a.demand, agreed: a.agreedQuantity, comparableUnitPrice: a.comparableUnitPrice })));
const final = await call(alliance.token, 'GET', `/v1/rounds/${round.id}/results`);
console.log(`average drop ${final.round.averageDrop}, volume-weighted drop ${final.round.weightedDrop}`);
