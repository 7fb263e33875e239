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
    async *rows() { for await (const b of readAhead(batches(t.rows))) yield b.map((r) => t.columns.map((c) => c.get(r))); },
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

/**
 * The batches of `source` with the next one already asked for while the caller works on the current
 * one: the database reads the next batch while the writer formats and stores this one (on two cores,
 * the national monitoring csv's read and write overlap instead of adding up). One batch ahead at most,
 * so memory holds two; the source is never asked twice at once.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const it = source[Symbol.asyncIterator]();
  // Handled at once: a read that fails while the caller is busy must not count as an unhandled rejection.
  const ask = () => { const p = it.next(); p.catch(() => undefined); return p; };
  let next = ask();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = ask();
      yield r.value;
    }
  } finally {
    // A consumer that stops early (an error while writing) closes the source once its pending read settled.
    await next.catch(() => undefined);
    await it.return?.();
  }
}
