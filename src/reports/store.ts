/**
 * Report files live in PostgreSQL (ENGINEERING.md "Two modes"): any API
 * instance serves any report. A file is written as it is made, in chunks of
 * CHUNK bytes under the generation of the run that writes it, and read back
 * chunk by chunk, so neither side holds the whole file.
 */
import { Readable, Writable } from 'node:stream';
import type { Queryable } from '../db/client.js';

const CHUNK = 256 * 1024;

/** A writable stream into report_chunks; `bytes` is the size written so far. */
export class ChunkSink extends Writable {
  private parts: Buffer[] = [];
  private pending = 0;
  private seq = 0;
  bytes = 0;

  constructor(private readonly db: Queryable, private readonly reportId: string, private readonly generation: string) {
    super({ highWaterMark: CHUNK });
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.parts.push(buf);
    this.pending += buf.length;
    this.bytes += buf.length;
    if (this.pending < CHUNK) { cb(); return; }
    this.flush().then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush().then(() => cb(), cb);
  }

  private async flush(): Promise<void> {
    if (!this.pending) return;
    const data = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    await this.db.query('INSERT INTO report_chunks (report_id, generation, seq, data) VALUES ($1, $2, $3, $4::bytea)',
      [this.reportId, this.generation, this.seq++, data]);
  }
}

/** The file of a generation, one chunk at a time. */
export function readChunks(db: Queryable, reportId: string, generation: string): Readable {
  async function* chunks() {
    for (let seq = 0; ; seq++) {
      const [row] = await db.query<{ data: Uint8Array }>(
        'SELECT data FROM report_chunks WHERE report_id = $1 AND generation = $2 AND seq = $3', [reportId, generation, seq]);
      if (!row) return;
      // postgres.js gives a Buffer, PGlite a Uint8Array: the same bytes either way.
      yield Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Waits until `out` can take more (a producer that writes without looking would hold the file in memory). */
export async function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => { out.off('drain', ok); out.off('error', done); if (err) reject(err); else resolve(); };
    const ok = () => done();
    out.on('drain', ok);
    out.on('error', done);
  });
}
