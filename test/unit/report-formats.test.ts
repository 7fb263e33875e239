import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { csvField, writeCsv } from '../../src/reports/formats/csv.js';
import { writeHtml } from '../../src/reports/formats/html.js';
import { col, readAhead, sheetOf } from '../../src/reports/formats/table.js';
import { writeXlsx } from '../../src/reports/formats/xlsx.js';

/** Collects what a writer writes. */
function sink() {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (d: Buffer) => parts.push(d));
  return { out, bytes: () => Buffer.concat(parts) };
}

const DANGEROUS = ['=1+2', '+1', '-cmd', '@SUM(A1)', '\tx', '\rx'];
interface Row { name: string; price: string | null; n: number }
const table = (rows: Row[]) => sheetOf<Row>({
  sheet: 'Alerts', zh: '预警',
  columns: [col('name', '名称', 'text', (r) => r.name), col('price', '价格', 'money', (r) => r.price), col('n', '数量', 'int', (r) => r.n)],
  rows,
});

describe('report formats against formula injection', () => {
  it('csv: a text field starting with =, +, -, @, a tab or CR gets a leading quote; numbers stay as they are', () => {
    for (const s of DANGEROUS) expect(csvField({ type: 'text' }, s)).toMatch(/^"?'/);
    expect(csvField({ type: 'text' }, '=1+2')).toBe("'=1+2");
    expect(csvField({ type: 'text' }, '\rx')).toBe(`"'\rx"`);
    expect(csvField({ type: 'text' }, 'a,"b"')).toBe('"a,""b"""');
    expect(csvField({ type: 'money' }, '-0.5000')).toBe('-0.5000');
    expect(csvField({ type: 'text' }, '药品')).toBe('药品');
  });

  it('csv: header, BOM and lines', async () => {
    const s = sink();
    await writeCsv(s.out, table([{ name: '=HYPERLINK("x")', price: '1.5000', n: 3 }]));
    s.out.end();
    expect(s.bytes().toString('utf8')).toBe('\uFEFFname,price,n\r\n"\'=HYPERLINK(""x"")",1.5000,3\r\n');
  });

  it('xlsx: text cells stay strings (no formula), numbers with formats, and a full sheet goes on in "Alerts 2"', async () => {
    const s = sink();
    const rows = DANGEROUS.map((name, i) => ({ name, price: `${i}.2500`, n: i }));
    await writeXlsx(s.out, [table(rows)], { maxRows: 4 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(s.bytes() as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Alerts', 'Alerts 2']);
    const cells = wb.worksheets.flatMap((w) => w.getRows(2, w.rowCount - 1) ?? []).map((r) => r.getCell(1));
    // XML reads a bare CR back as a line feed (exceljs writes it unescaped); the cell is still the text.
    expect(cells.map((c) => c.value)).toEqual(DANGEROUS.map((d) => d.replace('\r', '\n')));
    for (const c of cells) { expect(c.type).toBe(ExcelJS.ValueType.String); expect(c.formula).toBeUndefined(); }
    const second = wb.worksheets[0].getRow(3);
    expect(second.getCell(2).value).toBe(1.25);
    expect(second.getCell(2).numFmt).toBe('#,##0.0000');
    expect(second.getCell(3).numFmt).toBe('#,##0');
    expect(wb.worksheets[1].getRow(1).getCell(1).value).toBe('name');
  });

  it('html: everything escaped', async () => {
    const s = sink();
    await writeHtml(s.out, { title: '<b>报告</b>', meta: ['"x" & \'y\''], charts: [], sheets: [table([{ name: '<script>alert(1)</script>', price: null, n: 1 }])] });
    s.out.end();
    const html = s.bytes().toString('utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<title>&lt;b&gt;报告&lt;/b&gt;</title>');
    expect(html).toContain('&quot;x&quot; &amp; &#39;y&#39;');
  });
});

describe('readAhead: the next batch is read while the current one is written', () => {
  /** A source that records when each batch is asked for and handed out. */
  function source(n: number, failAt?: number) {
    const log: string[] = [];
    let returned = false;
    const it: AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          async next() {
            const k = i++;
            log.push(`ask ${k}`);
            await new Promise((r) => setTimeout(r, 2));
            if (k === failAt) throw new Error(`batch ${k} failed`);
            return k < n ? { value: k, done: false } : { value: undefined, done: true };
          },
          async return() { returned = true; return { value: undefined, done: true }; },
        };
      },
    };
    return { it, log, returned: () => returned };
  }

  it('keeps the order, asks for batch k + 1 before the caller is done with k and never further ahead', async () => {
    const s = source(3);
    const seen: number[] = [];
    for await (const b of readAhead(s.it)) {
      s.log.push(`work ${b}`);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(b);
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(s.log).toEqual(['ask 0', 'ask 1', 'work 0', 'ask 2', 'work 1', 'ask 3', 'work 2']);
  });

  it('a failed read reaches the caller at its turn (not as an unhandled rejection); stopping early closes the source', async () => {
    const s = source(5, 1);
    const seen: number[] = [];
    await expect((async () => {
      for await (const b of readAhead(s.it)) { await new Promise((r) => setTimeout(r, 10)); seen.push(b); }
    })()).rejects.toThrow('batch 1 failed');
    expect(seen).toEqual([0]);
    const t = source(5);
    for await (const b of readAhead(t.it)) if (b === 1) break;
    expect(t.returned()).toBe(true);
  });
});
