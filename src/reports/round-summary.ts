/**
 * The `round_summary` report (API.md "Report documents"): the round's
 * results as GET /results gives them, with each item's and each winner's
 * share of the agreements (fixed at award), the supply units, and per
 * hospital its demand, agreed quantity and value.
 */
import type { Db } from '../db/client.js';
import { D, fmt4 } from '../rules/decimal.js';
import { isAwarded } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { loadItems, phaseOf } from '../rounds/service.js';
import { getResults } from '../results/service.js';
import { unitCodeSql } from '../results/units.js';
import { col, type Sheet, sheetOf } from './formats/table.js';

export interface SummaryWinner {
  manufacturerId: string; rank: number | null; comparableUnitPrice: string;
  /** Before award: no supply units and no agreements yet (empty, null). */
  regionCodes: string[]; hospitals: number | null; agreedQuantity: number | null; value: string | null;
}
export interface SummaryItem {
  itemCode: string; genericName: string; dosageForm: string; outcome: string; eligibleBidders: number; lowest: string | null;
  priceDrop: string | null; agreedVolumeRatio: string | null; totalDemand: number; agreedQuantity: number | null; winners: SummaryWinner[];
}
export interface RoundSummary {
  round: { id: string; name: string; state: string; items: number; awardedItems: number; averageDrop: string | null; weightedDrop: string | null };
  items: SummaryItem[];
}

export async function roundSummary(db: Db, r: RoundRow): Promise<RoundSummary> {
  const results = await getResults(db, r);
  const items = new Map((await loadItems(db, r.id)).map((i) => [i.code, i]));
  const awarded = isAwarded(phaseOf(r));
  const totals = new Map((await db.query<{ item_code: string; manufacturer_id: string; hospitals: number; agreed_quantity: string; amount: string }>(
    `SELECT item_code, manufacturer_id, hospitals, agreed_quantity::text AS agreed_quantity, amount::text AS amount
       FROM award_totals WHERE round_id = $1`, [r.id])).map((t) => [`${t.item_code}\u0000${t.manufacturer_id}`, t]));
  const regions = new Map<string, string[]>();
  for (const a of await db.query<{ item_code: string; manufacturer_id: string; region_code: string }>(
    `SELECT i.code AS item_code, m.id AS manufacturer_id, ${unitCodeSql('a.unit', r.rules.regionLevel)} AS region_code
       FROM allocations a JOIN items i ON i.round_id = $2 AND i.no = a.item_no JOIN organizations m ON m.no = a.manufacturer_no
      WHERE a.round_no = $1 ORDER BY i.code, m.id, a.unit`, [r.no, r.id])) {
    const key = `${a.item_code}\u0000${a.manufacturer_id}`;
    regions.set(key, [...(regions.get(key) ?? []), a.region_code]);
  }
  return {
    round: { id: r.id, name: r.name, state: r.state, ...results.round },
    items: results.items.map((i) => {
      const item = items.get(i.itemCode);
      const winners: SummaryWinner[] = i.bids.filter((b) => b.winner).map((b) => {
        const key = `${i.itemCode}\u0000${b.manufacturerId}`;
        const t = totals.get(key);
        return {
          manufacturerId: b.manufacturerId, rank: b.rank, comparableUnitPrice: b.comparableUnitPrice, regionCodes: regions.get(key) ?? [],
          hospitals: awarded ? t?.hospitals ?? 0 : null, agreedQuantity: awarded ? Number(t?.agreed_quantity ?? 0) : null,
          value: awarded ? fmt4(new D(t?.amount ?? 0)) : null,
        };
      });
      return {
        itemCode: i.itemCode, genericName: item?.genericName ?? '', dosageForm: item?.dosageForm ?? '', outcome: i.outcome,
        eligibleBidders: i.eligibleBidders, lowest: i.lowest, priceDrop: i.priceDrop, agreedVolumeRatio: i.agreedVolumeRatio,
        totalDemand: i.totalDemand, agreedQuantity: awarded ? winners.reduce((s, w) => s + (w.agreedQuantity ?? 0), 0) : null, winners,
      };
    }),
  };
}

/** One row per item and winner (an item without winners once), as the csv has it. */
interface ItemWinner { item: SummaryItem; winner: SummaryWinner | null; name: string | null }

const ITEM_COLUMNS = [
  col<SummaryItem>('itemCode', '品种编码', 'text', (i) => i.itemCode),
  col<SummaryItem>('genericName', '通用名', 'text', (i) => i.genericName),
  col<SummaryItem>('dosageForm', '剂型', 'text', (i) => i.dosageForm),
  col<SummaryItem>('outcome', '结果', 'text', (i) => i.outcome),
  col<SummaryItem>('eligibleBidders', '有效投标数', 'int', (i) => i.eligibleBidders),
  col<SummaryItem>('lowest', '最低可比单价', 'money', (i) => i.lowest),
  col<SummaryItem>('priceDrop', '降价幅度', 'ratio', (i) => i.priceDrop),
  col<SummaryItem>('agreedVolumeRatio', '约定采购量比例', 'ratio', (i) => i.agreedVolumeRatio),
  col<SummaryItem>('totalDemand', '需求总量', 'int', (i) => i.totalDemand),
  col<SummaryItem>('agreedQuantity', '约定采购量', 'int', (i) => i.agreedQuantity),
];
const WINNER_COLUMNS = [
  col<ItemWinner>('manufacturerId', '中选企业', 'text', (x) => x.winner?.manufacturerId ?? null),
  col<ItemWinner>('rank', '排名', 'int', (x) => x.winner?.rank ?? null),
  col<ItemWinner>('comparableUnitPrice', '中选可比单价', 'money', (x) => x.winner?.comparableUnitPrice ?? null),
  col<ItemWinner>('regionCodes', '供应地区', 'list', (x) => x.winner?.regionCodes ?? null),
  col<ItemWinner>('hospitals', '医疗机构数', 'int', (x) => x.winner?.hospitals ?? null),
  col<ItemWinner>('winnerAgreedQuantity', '企业约定采购量', 'int', (x) => x.winner?.agreedQuantity ?? null),
  col<ItemWinner>('value', '约定金额', 'money', (x) => x.winner?.value ?? null),
];

function itemWinners(s: RoundSummary, names: Map<string, string>): ItemWinner[] {
  return s.items.flatMap((item) => (item.winners.length ? item.winners : [null])
    .map((winner) => ({ item, winner, name: winner ? names.get(winner.manufacturerId) ?? null : null })));
}

/** The csv: one line per item and winner, the item's fields then the winner's. */
export function summaryCsvSheet(s: RoundSummary): Sheet {
  return sheetOf<ItemWinner>({
    sheet: 'Summary', zh: '汇总',
    columns: [...ITEM_COLUMNS.map((c) => col<ItemWinner>(c.key, c.zh, c.type, (x) => c.get(x.item))), ...WINNER_COLUMNS],
    rows: itemWinners(s, new Map()),
  });
}

export async function organizationNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db.query<{ id: string; name: string }>('SELECT id, name FROM organizations WHERE id = ANY($1::text[])', [ids]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

interface HospitalRow { hospital_id: string; name: string; region_code: string; items: number; demand: string; agreed_quantity: string; value: string }
interface RegionRow { item_code: string; region_code: string; manufacturer_id: string; product_id: string }

/** The sheets of the xlsx and the tables of the html: Summary, Items, Winners, Regions, Hospitals. */
export async function summarySheets(db: Db, r: RoundRow, s: RoundSummary): Promise<Sheet[]> {
  const names = await organizationNames(db, [...new Set(s.items.flatMap((i) => i.winners.map((w) => w.manufacturerId)))]);
  const fields: [string, string, 'text' | 'int' | 'ratio', string | number | null][] = [
    ['id', '集采批次编号', 'text', s.round.id], ['name', '名称', 'text', s.round.name], ['state', '状态', 'text', s.round.state],
    ['items', '品种数', 'int', s.round.items], ['awardedItems', '中选品种数', 'int', s.round.awardedItems],
    ['averageDrop', '平均降幅', 'ratio', s.round.averageDrop], ['weightedDrop', '加权降幅', 'ratio', s.round.weightedDrop],
  ];
  const summary: Sheet = {
    sheet: 'Summary', zh: '汇总',
    columns: fields.map(([key, zh, type]) => ({ key, zh, type })),
    async *rows() { yield [fields.map((f) => f[3])]; },
  };
  const items = sheetOf({ sheet: 'Items', zh: '品种', columns: ITEM_COLUMNS, rows: s.items });
  const winners = sheetOf<ItemWinner>({
    sheet: 'Winners', zh: '中选企业',
    columns: [
      col('itemCode', '品种编码', 'text', (x) => x.item.itemCode), WINNER_COLUMNS[0],
      col('manufacturerName', '企业名称', 'text', (x) => x.name), ...WINNER_COLUMNS.slice(1),
    ],
    rows: itemWinners(s, names).filter((x) => x.winner),
  });
  const level = r.rules.regionLevel;
  const regions = sheetOf<RegionRow>({
    sheet: 'Regions', zh: '供应地区分配',
    columns: [
      col('itemCode', '品种编码', 'text', (a) => a.item_code), col('regionCode', '地区编码', 'text', (a) => a.region_code),
      col('manufacturerId', '供应企业', 'text', (a) => a.manufacturer_id), col('productId', '产品', 'text', (a) => a.product_id),
    ],
    rows: db.cursor<RegionRow>(
      `SELECT i.code AS item_code, ${unitCodeSql('a.unit', level)} AS region_code, m.id AS manufacturer_id, p.id AS product_id
         FROM allocations a JOIN items i ON i.round_id = $2 AND i.no = a.item_no
         JOIN organizations m ON m.no = a.manufacturer_no JOIN products p ON p.no = a.product_no
        WHERE a.round_no = $1 ORDER BY i.code, a.unit`, [r.no, r.id], 2000),
  });
  // One pass over the round's agreements, grouped per hospital (set-based; the rows arrive through a cursor).
  const hospitals = sheetOf<HospitalRow>({
    sheet: 'Hospitals', zh: '医疗机构',
    columns: [
      col('hospitalId', '医疗机构', 'text', (h) => h.hospital_id), col('name', '名称', 'text', (h) => h.name),
      col('regionCode', '地区编码', 'text', (h) => h.region_code), col('items', '品种数', 'int', (h) => h.items),
      col('demand', '需求量', 'int', (h) => Number(h.demand)), col('agreedQuantity', '约定采购量', 'int', (h) => Number(h.agreed_quantity)),
      col('value', '约定金额', 'money', (h) => fmt4(new D(h.value))),
    ],
    rows: db.cursor<HospitalRow>(
      `SELECT o.id AS hospital_id, o.name, o.region_code, g.items, g.demand, g.agreed_quantity, g.value
         FROM (SELECT hospital_no, count(*)::int AS items, sum(demand)::text AS demand, sum(agreed_quantity)::text AS agreed_quantity,
                      sum(agreed_quantity * comparable_unit_price)::text AS value
                 FROM agreements WHERE round_no = $1 GROUP BY hospital_no) g
         JOIN organizations o ON o.no = g.hospital_no ORDER BY g.hospital_no`, [r.no], 2000),
  });
  return [summary, items, winners, regions, hospitals];
}
