/**
 * A report table as every format writes it: columns with a type (text,
 * integer, money or ratio as the API's 4-place strings, lists) and rows.
 * Text that a spreadsheet would run as a formula is neutralised here, in one place.
 */
export type ColumnType = 'text' | 'int' | 'money' | 'ratio' | 'list';
export type Value = string | number | null | readonly string[];

export interface Column<R> {
  /** The field name (csv and xlsx header). */
  key: string;
  /** The Chinese heading of the html table. */
  zh: string;
  type: ColumnType;
  get(row: R): Value;
}

export interface Table<R> {
  /** The xlsx sheet name. */
  sheet: string;
  /** The html section title. */
  zh: string;
  columns: Column<R>[];
  /** All rows at once (small tables) or in batches (large ones, streamed). */
  rows: Iterable<R> | AsyncIterable<R[]>;
}

export const col = <R>(key: string, zh: string, type: ColumnType, get: (row: R) => Value): Column<R> => ({ key, zh, type, get });

/** A cell a spreadsheet would read as a formula (or DDE): =, +, -, @, a tab or a carriage return first. */
export const FORMULA_START = /^[=+\-@\t\r]/;

/** Text as a spreadsheet must show it: a leading formula character is kept as text by a single quote before it (CSV). */
export const neutralise = (text: string): string => (FORMULA_START.test(text) ? `'${text}` : text);

/** A cell's text as csv and html show it (lists space-separated; numbers as the API writes them). */
export function textOf(v: Value): string {
  if (v === null) return '';
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

export type ColumnMeta = Pick<Column<unknown>, 'key' | 'zh' | 'type'>;

/** A table with its rows as cell values, the one shape every writer takes. */
export interface Sheet {
  sheet: string;
  zh: string;
  columns: ColumnMeta[];
  /** Batches of rows of cell values. */
  rows(): AsyncIterable<Value[][]>;
}

export function sheetOf<R>(t: Table<R>): Sheet {
  return {
    sheet: t.sheet, zh: t.zh, columns: t.columns.map(({ key, zh, type }) => ({ key, zh, type })),
    async *rows() { for await (const b of batches(t.rows)) yield b.map((r) => t.columns.map((c) => c.get(r))); },
  };
}

/** The rows of a table in batches, whichever way it holds them. */
export async function* batches<R>(rows: Iterable<R> | AsyncIterable<R[]>, size = 1000): AsyncIterable<R[]> {
  if (Symbol.asyncIterator in rows) { yield* rows; return; }
  let batch: R[] = [];
  for (const r of rows) {
    batch.push(r);
    if (batch.length >= size) { yield batch; batch = []; }
  }
  if (batch.length) yield batch;
}
