/**
 * The OCDS 1.1 export of a round (API.md "Reports, export, audit"): one
 * release package holding one release, a snapshot of the round at its
 * current state, built from a handful of set-based queries.
 *
 * Choices (documented in the OpenAPI description too):
 * - `ocid` is `ocds-jicai-<roundId>`: "ocds-jicai" stands in for an OCDS
 *   prefix (a registered one would replace it); the round id makes it unique.
 * - One release per round state: its `id` is `<ocid>-<state>` and its `date`
 *   the round's last change (`updated_at`); the package's `publishedDate` is
 *   the same date, as OCDS asks of packages generated on demand.
 * - `language` is "zh": the free text of a release (round, organization,
 *   item and unit names) is what alliances, hospitals and manufacturers
 *   enter, in Chinese on a 集采 platform; the export adds no prose of its own.
 * - Hospitals are not listed as parties (there may be 50,000): the alliance
 *   is the buyer and procuring entity on their behalf.
 * - Bids stay sealed until opening, so bidders (`tenderers`,
 *   `numberOfTenderers`, parties with role "tenderer") appear only once the
 *   round was opened; awards (one per winning manufacturer and item, role
 *   "supplier") only once it is awarded.
 * - Amounts are exact decimals rounded in SQL (unit prices to 4 places, award
 *   values to 2, i.e. to the fen) and turned into JSON numbers with Number()
 *   only when the document is assembled, as the OCDS schema wants numbers.
 */
import type { Principal } from '../context.js';
import type { Queryable } from '../db/client.js';
import { unauthorized } from '../http/problem.js';
import { isPublic, type RoundState } from '../rounds/lifecycle.js';
import type { ItemRow, RoundRow } from '../rounds/mapper.js';
import { loadItems, loadRound, phaseOf, visibleRound } from '../rounds/service.js';
import { periodText } from '../rules/monitoring.js';

export const ocidOf = (roundId: string) => `ocds-jicai-${roundId}`;

const CURRENCY = 'CNY';
const iso = (d: Date) => d.toISOString();

/** The round, for a participant (404 when it may not see it) or, without a token, once awarded (else 401). */
export async function exportableRound(db: Queryable, p: Principal | null, id: string): Promise<RoundRow> {
  if (p) return visibleRound(db, p, id);
  const r = await loadRound(db, id);
  if (!r || !isPublic(phaseOf(r))) {
    throw unauthorized('A token is needed to read this export until the round is awarded');
  }
  return r;
}

/** OCDS tender.status from the round state. */
export function tenderStatus(state: RoundState): 'planning' | 'active' | 'complete' | 'cancelled' {
  switch (state) {
    case 'draft': return 'planning';
    case 'demand': case 'bidding': case 'opened': return 'active';
    case 'awarded': case 'closed': return 'complete';
    case 'cancelled': return 'cancelled';
  }
}

/** OCDS release tags (releaseTag codelist) for the stage the round has reached. */
export function releaseTags(state: RoundState): string[] {
  switch (state) {
    case 'draft': return ['planning'];
    case 'demand': case 'bidding': case 'opened': return ['tender'];
    case 'awarded': case 'closed': return ['tender', 'award'];
    case 'cancelled': return ['tender', 'tenderCancellation'];
  }
}

/** The contract period of DOMAIN.md: `contractMonths` whole months from the first day of `contractStart`. */
function contractPeriod(start: string | null, months: number) {
  if (!start) return undefined;
  const from = new Date(`${start}-01T00:00:00Z`);
  const until = new Date(from);
  until.setUTCMonth(until.getUTCMonth() + months);
  return { startDate: iso(from), endDate: iso(new Date(until.getTime() - 1000)) };
}

interface OrgRow { id: string; name: string; region_code: string }
interface AwardRow { item_code: string; manufacturer_id: string; name: string; quantity: string; unit_price: string; amount: string }

const party = (o: OrgRow, roles: string[]) => ({
  id: o.id, name: o.name, address: { region: o.region_code, countryName: '中国' }, roles,
});
const ref = (o: { id: string; name: string }) => ({ id: o.id, name: o.name });

/** Step 1: what the release is made of, from a handful of set-based queries. */
async function load(db: Queryable, r: RoundRow) {
  const opened = r.openedAt !== null;
  const awarded = isPublic(phaseOf(r));
  const [alliance] = await db.query<OrgRow>('SELECT id, name, region_code FROM organizations WHERE id = $1', [r.allianceId]);
  const items = await loadItems(db, r.id);
  const totals = await db.query<{ item_no: number; quantity: string }>(
    'SELECT item_no, quantity::text AS quantity FROM demand_totals WHERE round_no = $1', [r.no]);
  const demandOf = new Map(totals.map((t) => [t.item_no, t.quantity]));
  // Bidders only once the bids are open: before that even their number is sealed.
  const bidders = opened ? await db.query<OrgRow>(
    `SELECT o.id, o.name, o.region_code FROM bid_results b JOIN organizations o ON o.id = b.manufacturer_id
      WHERE b.round_id = $1 GROUP BY o.id, o.name, o.region_code ORDER BY o.id`, [r.id]) : [];
  // One award per winner and item: Σ agreedQuantity at the winner's comparable unit price.
  const awards = awarded ? await db.query<AwardRow>(
    `SELECT b.item_code, b.manufacturer_id, o.name,
            coalesce(t.agreed_quantity, 0)::text AS quantity,
            round(b.comparable_unit_price, 4)::text AS unit_price,
            round(coalesce(t.amount, 0), 2)::text AS amount
       FROM bid_results b
       JOIN organizations o ON o.id = b.manufacturer_id
       LEFT JOIN award_totals t ON t.round_id = b.round_id AND t.item_code = b.item_code AND t.manufacturer_id = b.manufacturer_id
      WHERE b.round_id = $1 AND b.winner
      ORDER BY b.item_code, b.rank`, [r.id]) : [];
  // Contract implementation: per award and month with usage, Σ amount paid for the agreements' own product
  // (the monitoring rollups; nothing before the round's first monitoring read or write).
  const payments = awarded ? await db.query<PaymentRow>(
    `SELECT i.code AS item_code, m.id AS manufacturer_id, g.period, round(sum(g.amount), 4)::text AS amount
       FROM monitoring_groups g
       JOIN items i ON i.round_id = $2 AND i.no = g.item_no
       JOIN organizations m ON m.no = g.manufacturer_no
      WHERE g.round_no = $1
      GROUP BY i.code, m.id, g.period
     HAVING sum(g.used) > 0 OR sum(g.amount) > 0
      ORDER BY i.code, m.id, g.period`, [r.no, r.id]) : [];
  return { opened, awarded, alliance, items, demandOf, bidders, awards, payments };
}
interface PaymentRow { item_code: string; manufacturer_id: string; period: number; amount: string }
type Loaded = Awaited<ReturnType<typeof load>>;

const describeItem = (i: ItemRow) => [i.genericName, i.dosageForm,
  i.referenceStrengthValue === null ? null : `${i.referenceStrengthValue} ${i.referenceStrengthUnit}`].filter(Boolean).join(' ');

/** Step 2: the tender: items with their pooled demand, the bid window and, once opened, the tenderers. */
function tender(r: RoundRow, l: Loaded) {
  const t: Record<string, unknown> = {
    id: r.id,
    title: r.name,
    status: tenderStatus(r.state),
    procuringEntity: ref(l.alliance),
    items: l.items.map((i) => ({
      id: i.code,
      description: describeItem(i),
      quantity: Number(l.demandOf.get(i.no) ?? '0'),
      unit: { name: i.unit, value: { amount: Number(i.maxUnitPrice), currency: CURRENCY } },
    })),
    procurementMethod: 'open',
    mainProcurementCategory: 'goods',
    awardCriteria: 'priceOnly',
    tenderPeriod: { startDate: iso(r.bidOpensAt), endDate: iso(r.bidClosesAt) },
  };
  if (l.opened) {
    t.numberOfTenderers = l.bidders.length;
    t.tenderers = l.bidders.map(ref);
    t.awardPeriod = { startDate: iso(r.openedAt!), ...(r.awardedAt ? { endDate: iso(r.awardedAt) } : {}) };
  }
  const period = contractPeriod(r.contractStart, r.contractMonths);
  if (period) t.contractPeriod = period;
  return t;
}

/** Step 3: one award per winning manufacturer and item, once the round is awarded. */
function awards(r: RoundRow, l: Loaded) {
  const byCode = new Map(l.items.map((i) => [i.code, i]));
  const period = contractPeriod(r.contractStart, r.contractMonths);
  return l.awards.map((a) => ({
    id: awardIdOf(r.id, a.item_code, a.manufacturer_id),
    status: 'active',
    date: iso(r.awardedAt!),
    value: { amount: Number(a.amount), currency: CURRENCY },
    suppliers: [{ id: a.manufacturer_id, name: a.name }],
    items: [{
      id: a.item_code,
      description: describeItem(byCode.get(a.item_code)!),
      quantity: Number(a.quantity),
      unit: { name: byCode.get(a.item_code)!.unit, value: { amount: Number(a.unit_price), currency: CURRENCY } },
    }],
    ...(period ? { contractPeriod: period } : {}),
  }));
}

/**
 * Step 4: one contract per award, over the contract period, worth the award's value; its
 * implementation holds one transaction per month with usage (API.md "Reports, export, audit"):
 * dated the month's first day, the amount the hospitals paid for the agreements' own product,
 * from the alliance (payer) to the supplier (payee).
 */
function contracts(r: RoundRow, l: Loaded) {
  const period = contractPeriod(r.contractStart, r.contractMonths);
  const byAward = new Map<string, PaymentRow[]>();
  for (const p of l.payments) {
    const id = awardIdOf(r.id, p.item_code, p.manufacturer_id);
    byAward.set(id, [...(byAward.get(id) ?? []), p]);
  }
  return l.awards.map((a) => {
    const awardID = awardIdOf(r.id, a.item_code, a.manufacturer_id);
    return {
      id: `${awardID}-contract`,
      awardID,
      status: r.state === 'closed' ? 'terminated' : 'active',
      ...(period ? { period } : {}),
      value: { amount: Number(a.amount), currency: CURRENCY },
      implementation: {
        transactions: (byAward.get(awardID) ?? []).map((p) => {
          const month = periodText(p.period);
          return {
            id: `${awardID}-${month}`,
            date: `${month}-01T00:00:00.000Z`,
            value: { amount: Number(p.amount), currency: CURRENCY },
            payer: ref(l.alliance),
            payee: { id: a.manufacturer_id, name: a.name },
          };
        }),
      },
    };
  });
}

export const awardIdOf = (roundId: string, itemCode: string, manufacturerId: string) => `${roundId}-${itemCode}-${manufacturerId}`;

export async function ocdsPackage(db: Queryable, r: RoundRow, uri: string) {
  const ocid = ocidOf(r.id);
  const l = await load(db, r);
  const suppliers = new Set(l.awards.map((a) => a.manufacturer_id));
  const payees = new Set(l.payments.map((p) => p.manufacturer_id));
  const date = iso(r.updatedAt);
  const release: Record<string, unknown> = {
    ocid,
    id: `${ocid}-${r.state}`,
    date,
    tag: releaseTags(r.state),
    initiationType: 'tender',
    language: 'zh',
    parties: [
      party(l.alliance, payees.size ? ['buyer', 'procuringEntity', 'payer'] : ['buyer', 'procuringEntity']),
      ...l.bidders.map((b) => party(b, [...(suppliers.has(b.id) ? ['tenderer', 'supplier'] : ['tenderer']), ...(payees.has(b.id) ? ['payee'] : [])])),
    ],
    buyer: ref(l.alliance),
    tender: tender(r, l),
  };
  if (l.awarded) {
    release.awards = awards(r, l);
    release.contracts = contracts(r, l);
  }
  return {
    uri,
    version: '1.1' as const,
    publishedDate: date,
    publisher: { name: 'jicai' },
    releases: [release],
  };
}
