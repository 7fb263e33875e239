import type { Readable } from 'node:stream';
import { validation, type FieldError } from './problem.js';

/**
 * The CSV fast path of bulk uploads: the header is read here and mapped to
 * staging columns, and the records go to PostgreSQL's own COPY parser
 * unchanged (as fast as psql \copy). Line numbers come from the staging
 * table's identity column (record n is line n + 1: the header is line 1).
 */
export interface CsvHeader { columns: string[] }

/** Splits off the header line; returns the staging columns and the body after it. */
export async function splitCsvHeader(stream: Readable, map: Record<string, string>): Promise<{ columns: string[]; rest: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let nl = -1;
  while (nl < 0) {
    const next = await it.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
    nl = head.indexOf(10);
    if (nl < 0 && head.length > 64 * 1024) break;
  }
  if (nl < 0 && head.length > 64 * 1024) throw validation('The CSV header line is too long', [{ line: 1, message: 'header too long' }]);
  const headerText = head.subarray(0, nl < 0 ? head.length : nl).toString('utf8').replace(/^\uFEFF/, '').replace(/\r$/, '');
  const names = headerText.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1').trim());
  const errors: FieldError[] = [];
  const columns: string[] = [];
  for (const n of names) {
    if (!Object.prototype.hasOwnProperty.call(map, n)) errors.push({ line: 1, message: `unknown column ${n || '(empty)'}` });
    else if (columns.includes(map[n])) errors.push({ line: 1, message: `column ${n} appears twice` });
    else columns.push(map[n]);
  }
  if (errors.length) throw validation('The CSV header is invalid', errors);
  const remainder = nl < 0 ? Buffer.alloc(0) : head.subarray(nl + 1);
  const crlf = nl > 0 && head[nl - 1] === 13;
  const shape = new CsvShape(columns.length);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const check = (chunk: Buffer) => {
    shape.scan(chunk);
    try { decoder.decode(chunk, { stream: true }); } catch { throw validation('The upload is not valid UTF-8', [{ line: shape.line, message: 'not valid UTF-8' }]); }
    return chunk;
  };
  async function* rest(): AsyncGenerator<Buffer> {
    // Held back one chunk so that trailing blank lines at the very end can be dropped.
    let prev: Buffer | null = remainder.length ? remainder : null;
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      if (prev) yield check(prev);
      prev = Buffer.from(next.value);
    }
    if (prev) {
      let end = prev.length;
      while (end > 0 && (prev[end - 1] === 10 || prev[end - 1] === 13 || prev[end - 1] === 32)) end--;
      // Keep the body's own line ending: COPY refuses a file that mixes \r\n and \n.
      const eol = prev[end] === 13 || crlf ? '\r\n' : '\n';
      if (end > 0) yield check(Buffer.concat([prev.subarray(0, end), Buffer.from(eol)]));
    }
  }
  return { columns, rest: rest() };
}

/** A COPY failure as a line error: PostgreSQL says "COPY t, line N" counting the records it was sent. */
export function copyErrorLine(err: any): FieldError | null {
  const where = String(err?.where ?? '');
  const m = /COPY \w+, line (\d+)/.exec(where);
  if (!m || !['22P04', '22P02', '22021', '54000'].includes(err?.code)) return null;
  const message = /extra data|missing data/.test(String(err.message)) ? 'wrong number of columns' : `malformed CSV: ${err.message}`;
  return { line: Number(m[1]) + 1, message };
}

/**
 * Checks that every record has the header's number of fields before COPY sees
 * it, naming the line: PostgreSQL would stop at the first such line, and a
 * COPY that fails at its very end is not reported by the driver.
 * Line breaks inside quoted fields are refused (no demand field needs one).
 */
class CsvShape {
  line = 2;
  private fields = 1;
  private empty = true;
  private quoted = false;
  constructor(private readonly expected: number) {}

  scan(buf: Buffer): void {
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === 34) { this.quoted = !this.quoted; this.empty = false; continue; }
      if (this.quoted) {
        if (c === 10) this.fail('line breaks inside quoted fields are not supported');
        continue;
      }
      if (c === 44) { this.fields++; this.empty = false; } else if (c === 10) { this.endLine(); } else if (c === 0) {
        this.fail('NUL byte in the data');
      } else if (c !== 13) this.empty = false;
    }
  }

  private endLine() {
    if (this.empty) this.fail('empty line');
    if (this.fields !== this.expected) this.fail('wrong number of columns');
    this.line++; this.fields = 1; this.empty = true;
  }

  private fail(message: string): never {
    throw validation('A line of the upload cannot be read; nothing was written', [{ line: this.line, message }]);
  }
}
