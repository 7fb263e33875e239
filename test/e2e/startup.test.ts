import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newOpeningKeyPair } from '../../src/bids/custody.js';
import { builtEntry } from '../built.js';

/** Runs an entry point with `env` until it exits or prints `until`; its exit code and output. */
function run(entry: string, env: Record<string, string>, until?: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, builtEntry(entry), { env: { PATH: process.env.PATH ?? '', ...env } });
    let out = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), 80_000);
    const seen = (d: Buffer) => { out += String(d); if (until && until.test(out)) proc.kill('SIGTERM'); };
    proc.stdout.on('data', seen);
    proc.stderr.on('data', seen);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

/** SECURITY.md "Key custody": how each process starts with (or without) the opening key. */
describe('start-up key checks', () => {
  const prod = { DATABASE_URL: 'postgres://127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', JICAI_MASTER_KEY: 'k'.repeat(24), JICAI_DATA_DIR: '/nonexistent-jicai' };

  it('an API process with DATABASE_URL and no opening public key: one clear line, exit 1', async () => {
    const r = await run('src/server.ts', prod);
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe('jicai: configuration error: JICAI_OPENING_PUBLIC_KEY is required when DATABASE_URL is set (create a pair with `npx tsx scripts/opening-key.ts`)');
  }, 90_000);

  it('an API process with REDIS_URL refuses the opening private key; the worker refuses to run without it', async () => {
    const pair = newOpeningKeyPair();
    const api = await run('src/server.ts', { ...prod, JICAI_OPENING_PUBLIC_KEY: pair.publicBase64, JICAI_OPENING_PRIVATE_KEY: pair.privatePem });
    expect(api.code).toBe(1);
    expect(api.out).toMatch(/^jicai: JICAI_OPENING_PRIVATE_KEY is for the worker only/);
    const worker = await run('jobs/main.ts', { ...prod, JICAI_OPENING_PUBLIC_KEY: pair.publicBase64 });
    expect(worker.code).toBe(1);
    expect(worker.out.trim()).toMatch(/^jicai worker: JICAI_OPENING_PRIVATE_KEY .* is required: the worker opens the bids$/);
  }, 90_000);

  it('embedded mode warns at start that the opening key sits beside the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jicai-start-'));
    try {
      const r = await run('src/server.ts', { JICAI_DATA_DIR: dir, PORT: String(await freePort()), LOG_LEVEL: 'silent' }, /SECURITY\.md/);
      expect(r.out).toContain(`WARNING: embedded mode keeps the opening private key in ${join(dir, 'opening-key.pem')}`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }, 90_000);
});

/** README: `npm start` builds dist/ (scripts/build.mjs) and runs it: the built JavaScript migrates, serves and stops. */
describe('npm start', () => {
  it('builds dist/ and serves the API from it on the embedded default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jicai-npm-start-'));
    const port = await freePort();
    // Its own process group, so that whatever outlives npm can be found (and cleaned up) below.
    const proc = spawn('npm', ['start'], { detached: true, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, JICAI_DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'silent' } });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => { out += String(d); });
    proc.stderr.on('data', (d: Buffer) => { out += String(d); });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      let health: unknown = null;
      for (let i = 0; i < 300 && health === null; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          if (res.ok) health = await res.json();
        } catch { await new Promise((r) => setTimeout(r, 200)); }
      }
      expect(health).toEqual({ status: 'ok', db: 'ok', queue: 'in-process' });
      expect(out).toMatch(/jicai: built dist\/ in \d+ ms/);
      expect(out).toContain('node dist/src/server.js');
      // Served by the built files, not by the TypeScript sources: the migrations were found beside them.
      expect(existsSync('dist/src/server.js') && existsSync('dist/migrations/meta/_journal.json')).toBe(true);
    } finally {
      // A SIGTERM to npm alone, as a process manager sends it: npm passes it to its child, and the script `exec`s node so
      // that the child is the server (under `sh -c`, sh took the signal and the server ran on, orphaned).
      proc.kill('SIGTERM');
      await exited;
      const alive = () => { try { process.kill(-proc.pid!, 0); return true; } catch { return false; } };
      for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      const left = alive();
      if (left) process.kill(-proc.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      expect(left, 'a process of `npm start` outlived its SIGTERM').toBe(false);
    }
  }, 120_000);
});
