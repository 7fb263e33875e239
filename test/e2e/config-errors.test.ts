import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openingKeys } from './processes.js';
import { builtEntry } from '../built.js';

/**
 * A configuration error stops the API and the worker at start with one clear
 * line on stderr and a non-zero exit code: no stack trace, no secret.
 * Spawns the real entry points (src/server.ts, jobs/main.ts); no database is needed,
 * the unreachable one is a closed port on loopback.
 */
const MASTER = 'config-test-master-key-0123';
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function start(entry: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jicai-config-'));
  dirs.push(dataDir);
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR']) if (process.env[k]) base[k] = process.env[k];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, builtEntry(entry), {
      cwd: process.cwd(), env: { ...base, JICAI_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${entry} did not exit: ${stdout} ${stderr}`)); }, 30_000);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Each process gets the opening key it runs with: the API the public part, the worker both (SECURITY.md "Key custody"). */
const KEYS = openingKeys();
const NO_KEYS = { JICAI_OPENING_PUBLIC_KEY: '', JICAI_OPENING_PRIVATE_KEY: '' };
const cases: [string, Record<string, string>, RegExp][] = [
  ['a missing JICAI_OPENING_PUBLIC_KEY with DATABASE_URL', { ...NO_KEYS, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/jicai', JICAI_MASTER_KEY: MASTER, REDIS_URL: 'redis://127.0.0.1:1' },
    /configuration error: JICAI_OPENING_PUBLIC_KEY is required when DATABASE_URL is set/],
  ['a missing JICAI_MASTER_KEY with DATABASE_URL', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/jicai', REDIS_URL: 'redis://127.0.0.1:1' },
    /configuration error: JICAI_MASTER_KEY is required when DATABASE_URL is set/],
  ['a malformed JICAI_OPENING_PUBLIC_KEY', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/jicai', JICAI_MASTER_KEY: MASTER, JICAI_OPENING_PUBLIC_KEY: 'short', REDIS_URL: 'redis://127.0.0.1:1' },
    /configuration error: JICAI_OPENING_PUBLIC_KEY is not an X25519 key/],
  ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'localhost;5432', JICAI_MASTER_KEY: MASTER, REDIS_URL: 'redis://127.0.0.1:1' },
    /configuration error: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ['a DATABASE_URL nobody listens on', { DATABASE_URL: 'postgres://postgres:s3cret-pw@127.0.0.1:1/jicai', JICAI_MASTER_KEY: MASTER, REDIS_URL: 'redis://127.0.0.1:1' },
    /cannot reach the database at 127\.0\.0\.1:1\/jicai: ECONNREFUSED/],
  ['a PORT that is not a number', { PORT: 'eighty', JICAI_MASTER_KEY: MASTER, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/jicai', REDIS_URL: 'redis://127.0.0.1:1' },
    /configuration error: PORT must be a whole number, got "eighty"/],
];

// The worker reads the same configuration (src/config.ts): three of the cases are enough to show it answers alike.
const workerCases = [cases[0], cases[3], cases[4]];
describe.each([
  ['the API (src/server.ts)', 'src/server.ts', 'jicai', cases, KEYS.api], ['the worker (jobs/main.ts)', 'jobs/main.ts', 'jicai worker', workerCases, KEYS.worker],
] as const)('configuration errors: %s', (_name, entry, prefix, list, keys) => {
  it.each(list)('%s: one line, exit code 1, no stack trace', async (_case, env, line) => {
    const r = await start(entry, { ...keys, ...env });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0].startsWith(`${prefix}: `), lines[0]).toBe(true);
    expect(lines[0]).toMatch(line);
    expect(r.stderr).not.toMatch(/\n\s+at |Error:|s3cret-pw/);
    expect(r.stdout).toBe('');
  }, 40_000);
});

describe('configuration errors: the worker without Redis', () => {
  it('says DATABASE_URL and REDIS_URL are required, exit code 1', async () => {
    const r = await start('jobs/main.ts', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/jicai', JICAI_MASTER_KEY: MASTER, ...KEYS.worker });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['jicai worker: DATABASE_URL and REDIS_URL are required (in embedded mode `npm start` runs the jobs itself)']);
  }, 40_000);
});
