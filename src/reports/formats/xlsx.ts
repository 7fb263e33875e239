/**
 * XLSX through exceljs's streaming WorkbookWriter: rows are committed as they
 * are written and the zip goes straight into the report's chunks. Shared
 * strings are off (exceljs keeps every distinct string of the workbook in
 * memory for that table, its known memory trap), styles are on (a handful of
 * number formats). Text is written as string cells: a value starting with
 * "=" stays text, never a formula. A sheet that would pass Excel's row limit
 * goes on in "<name> 2", "<name> 3", ….
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { drained } from '../store.js';
import type { ColumnType, Sheet, Value } from './table.js';

/** Excel's rows per sheet, header included. */
export const EXCEL_MAX_ROWS = 1_048_576;

const NUM_FMT: Partial<Record<ColumnType, string>> = { int: '#,##0', money: '#,##0.0000', ratio: '0.0000' };
const WIDTH: Record<ColumnType, number> = { text: 24, list: 30, int: 12, money: 16, ratio: 10 };

function cellValue(type: ColumnType, v: Value): string | number | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.join(' ');
  if (type === 'text') return String(v);
  // Money and ratios are exact 4-place strings in the API; a spreadsheet holds them as numbers shown with 4 places.
  return typeof v === 'number' ? v : Number(v);
}

export interface XlsxOptions {
  maxRows?: number;
  onBatch?: (sheet: string, n: number) => Promise<void>;
  /** The workbook's created/modified date: the report's, so that a run again writes the same document. */
  at?: Date;
}

export async function writeXlsx(out: Writable, sheets: Iterable<Sheet> | AsyncIterable<Sheet>, o: XlsxOptions = {}): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'jicai';
  if (o.at) { wb.created = o.at; wb.modified = o.at; }
  const maxRows = o.maxRows ?? EXCEL_MAX_ROWS;
  for await (const s of sheets) await writeSheet(wb, out, s, maxRows, o.onBatch);
  await wb.commit();
}

async function writeSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, out: Writable, s: Sheet, maxRows: number,
  onBatch?: (sheet: string, n: number) => Promise<void>) {
  let part = 1;
  let ws = openSheet(wb, s, part);
  let rowsInSheet = 1;
  let n = 0;
  const formats = s.columns.map((c) => NUM_FMT[c.type]);
  for await (const batch of s.rows()) {
    for (const values of batch) {
      if (rowsInSheet >= maxRows) {
        ws.commit();
        ws = openSheet(wb, s, ++part);
        rowsInSheet = 1;
      }
      const row = ws.addRow(values.map((v, i) => cellValue(s.columns[i].type, v)));
      formats.forEach((f, i) => { if (f) row.getCell(i + 1).numFmt = f; });
      row.commit();
      rowsInSheet++;
    }
    n += batch.length;
    await onBatch?.(s.sheet, n);
    await drained(out);
  }
  ws.commit();
}

function openSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, s: Sheet, part: number): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(part === 1 ? s.sheet : `${s.sheet} ${part}`, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = s.columns.map((c) => ({ key: c.key, width: WIDTH[c.type] }));
  const header = ws.addRow(s.columns.map((c) => c.key));
  header.font = { bold: true };
  header.commit();
  return ws;
}
