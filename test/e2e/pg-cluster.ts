import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes.js';

/**
 * A PostgreSQL cluster of a test's own (initdb on a temporary directory, another port), so a
 * fault test may stop and start it: the shared cluster on 5432 is never touched.
 * Runs the server binaries as the `postgres` user when this process is root (initdb refuses root).
 */
const BIN = process.env.JICAI_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface Cluster { port: number; url: string; dir: string; start(): void; stop(mode?: 'fast' | 'immediate'): void; destroy(): void }

function pgUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function run(cmd: string, args: string[], user: { uid: number; gid: number } | null) {
  const r = spawnSync(join(BIN, cmd), args, { ...(user ?? {}), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error}`);
}

export async function ownCluster(): Promise<Cluster> {
  const user = pgUser();
  const dir = mkdtempSync(join(tmpdir(), 'jicai-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], user);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const cluster: Cluster = {
    port, dir, url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], user),
    stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'], user),
    destroy: () => {
      try { cluster.stop('immediate'); } catch { /* not running */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
