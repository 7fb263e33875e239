/**
 * The `monitoring` report (API.md "Report documents") at asOf, from the
 * monitoring module's reads (src/monitoring/service.ts): the grouped rows as
 * GET /monitoring gives them, the alert counts, one line per agreement
 * (streamed in batches), the alerts (paged) and the monthly series.
 */
import type { Db } from '../db/client.js';
import type { RoundRow } from '../rounds/mapper.js';
import { agreementMonitoring, alertCounts, getMonitoring, listAlerts, type Alert, type AgreementMonitoringRow, type GroupBy, type MonitoringRow } from '../monitoring/service.js';
import type { AlertType } from '../rules/monitoring.js';
import { col, type Column, type Sheet, sheetOf } from './formats/table.js';

export interface MonitoringDocument {
  asOf: string; monthsElapsed: number;
  byItem: MonitoringRow[]; byRegion: MonitoringRow[]; byManufacturer: MonitoringRow[];
  alertCounts: Record<AlertType, number>;
}

export async function monitoringDocument(db: Db, r: RoundRow, asOf: string): Promise<MonitoringDocument> {
  const by = (groupBy: GroupBy) => getMonitoring(db, null, r, { asOf, groupBy });
  const item = await by('item');
  return {
    asOf: item.asOf, monthsElapsed: item.monthsElapsed, byItem: item.rows, byRegion: (await by('region')).rows,
    byManufacturer: (await by('manufacturer')).rows, alertCounts: await alertCounts(db, r, asOf),
  };
}

/** The figures an agreement line and a grouped row share. */
type Common = Omit<AgreementMonitoringRow, 'hospitalId' | 'itemCode' | 'manufacturerId'>;

const FIGURES: Column<Common>[] = [
  col('agreedQuantity', '约定采购量', 'int', (x) => x.agreedQuantity),
  col('expected', '应完成量', 'ratio', (x) => x.expected),
  col('used', '已使用量', 'int', (x) => x.used),
  col('nonWinningUsed', '非中选使用量', 'int', (x) => x.nonWinningUsed),
  col('ordered', '采购订单量', 'int', (x) => x.ordered),
  col('completion', '完成率', 'ratio', (x) => x.completion),
  col('progress', '进度', 'ratio', (x) => x.progress),
  col('fulfilment', '配送率', 'ratio', (x) => x.fulfilment),
  col('amount', '采购金额', 'money', (x) => x.amount),
  col('savings', '节约金额', 'money', (x) => x.savings),
];
const GROUP_FIGURES: Column<MonitoringRow>[] = [
  ...FIGURES,
  col('paidUnitPrice', '实际单价', 'money', (x) => x.paidUnitPrice),
  col('actualDrop', '实际降幅', 'ratio', (x) => x.actualDrop),
];

const grouped = (sheet: string, zh: string, key: string, keyZh: string, rows: MonitoringRow[]): Sheet =>
  sheetOf<MonitoringRow>({ sheet, zh, columns: [col(key, keyZh, 'text', (x) => x.key), ...GROUP_FIGURES], rows });

/** The csv: one line per agreement. */
export function agreementSheet(db: Db, r: RoundRow, asOf: string): Sheet {
  return sheetOf<AgreementMonitoringRow>({
    sheet: 'Agreements', zh: '协议',
    columns: [
      col('hospitalId', '医疗机构', 'text', (a) => a.hospitalId), col('itemCode', '品种编码', 'text', (a) => a.itemCode),
      col('manufacturerId', '供应企业', 'text', (a) => a.manufacturerId), ...FIGURES,
    ],
    rows: agreementMonitoring(db, r, asOf),
  });
}

async function* alertPages(db: Db, r: RoundRow, asOf: string): AsyncIterable<Alert[]> {
  let cursor: string | undefined;
  do {
    const page = await listAlerts(db, null, r, { asOf, limit: 1000, cursor });
    if (page.data.length) yield page.data;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export const alertCountsSheet = (d: MonitoringDocument): Sheet => sheetOf<[string, number]>({
  sheet: 'Alert counts', zh: '预警统计',
  columns: [col('type', '预警类型', 'text', (x) => x[0]), col('count', '数量', 'int', (x) => x[1])],
  rows: Object.entries(d.alertCounts),
});

/** xlsx: Items, Regions, Manufacturers, Hospitals, Alerts (html: the same, with the alert counts for the alerts). */
export async function monitoringSheets(db: Db, r: RoundRow, d: MonitoringDocument, o: { alerts: boolean }): Promise<Sheet[]> {
  const hospitals = await getMonitoring(db, null, r, { asOf: d.asOf, groupBy: 'hospital' });
  const sheets = [
    grouped('Items', '品种', 'itemCode', '品种编码', d.byItem),
    grouped('Regions', '地区', 'regionCode', '省份编码', d.byRegion),
    grouped('Manufacturers', '企业', 'manufacturerId', '企业', d.byManufacturer),
    grouped('Hospitals', '医疗机构', 'hospitalId', '医疗机构', hospitals.rows),
  ];
  if (!o.alerts) return [...sheets, alertCountsSheet(d)];
  return [...sheets, sheetOf<Alert>({
    sheet: 'Alerts', zh: '预警',
    columns: [
      col('type', '预警类型', 'text', (a) => a.type), col('hospitalId', '医疗机构', 'text', (a) => a.hospitalId),
      col('manufacturerId', '企业', 'text', (a) => a.manufacturerId), col('itemCode', '品种编码', 'text', (a) => a.itemCode),
      col('period', '月份', 'text', (a) => a.period ?? null), col('value', '数值', 'ratio', (a) => a.value),
      col('threshold', '阈值', 'ratio', (a) => a.threshold),
    ],
    rows: alertPages(db, r, d.asOf),
  })];
}
