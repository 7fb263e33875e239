import { must, type Http } from './processes.js';

/**
 * The parties of a round over real HTTP (the child-process tests): an alliance,
 * three hospitals in its regions, `makers` manufacturers with a verified product each,
 * and a round with one item in bidding whose window is [opensAt, closesAt) in real time.
 */
export interface HttpParties {
  master: string;
  tokens: string[];
  alliance: { id: string; token: string };
  hospitals: { id: string; token: string }[];
  makers: { id: string; token: string; product: string }[];
}

async function party(h: Http, master: string, body: Record<string, unknown>) {
  const o = must(await h.post('/v1/organizations', master, body), 201, `organization ${String(body.name)}`);
  const t = must(await h.post(`/v1/organizations/${o.body.id}/tokens`, master, { name: 'e2e' }), 201, 'token');
  return { id: o.body.id as string, token: t.body.token as string };
}

export async function parties(h: Http, master: string, makers = 2): Promise<HttpParties> {
  const alliance = await party(h, master, { kind: 'alliance', name: '联盟', regionCode: '440000', regionCodes: ['440000', '320000'] });
  const hospitals = [];
  for (const [i, region] of ['440103', '440304', '320102'].entries()) hospitals.push(await party(h, master, { kind: 'hospital', name: `医院${i}`, regionCode: region }));
  const ms = [];
  for (let i = 0; i < makers; i++) {
    const m = await party(h, master, { kind: 'manufacturer', name: `制药${i}`, regionCode: '310000' });
    const p = must(await h.post('/v1/products', m.token, {
      genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', strength: { value: '20', unit: 'mg' },
      packSize: 10, approvalNumber: `国药准字H-e2e-${i}`, qualityTier: 'consistency_passed',
    }), 201, 'product');
    must(await h.post(`/v1/products/${p.body.id}/verify`, alliance.token), 200, 'verify');
    ms.push({ ...m, product: p.body.id as string });
  }
  return { master, alliance, hospitals, makers: ms, tokens: [alliance.token, ...hospitals.map((x) => x.token), ...ms.map((x) => x.token)] };
}

/** A round in bidding with item ATV20 (max unit price 3.0000) and demand from every hospital. */
export async function biddingRound(h: Http, p: HttpParties, opensAt: Date, closesAt: Date): Promise<string> {
  const r = must(await h.post('/v1/rounds', p.alliance.token, {
    name: 'e2e', rules: { preset: 'nvbp' }, bidOpensAt: opensAt.toISOString(), bidClosesAt: closesAt.toISOString(), contractMonths: 12,
  }), 201, 'round');
  const id = r.body.id as string;
  must(await h.post(`/v1/rounds/${id}/items`, p.alliance.token, {
    code: 'ATV20', genericName: 'atorvastatin calcium', dosageForm: 'tablet', category: 'drug', unit: 'tablet',
    referenceStrength: { value: '20', unit: 'mg' }, strengthPriceRatio: '1.7', maxUnitPrice: '3.0000', baselineUnitPrice: '2.5000',
  }), 201, 'item');
  must(await h.post(`/v1/rounds/${id}/publish`, p.alliance.token), 200, 'publish');
  for (const [i, hosp] of p.hospitals.entries()) must(await h.put(`/v1/rounds/${id}/demand/ATV20`, hosp.token, { quantity: 1000 * (i + 1) }), 200, 'demand');
  must(await h.post(`/v1/rounds/${id}/start-bidding`, p.alliance.token), 200, 'start-bidding');
  return id;
}
