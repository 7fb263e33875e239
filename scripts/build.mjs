/**
 * `npm run build` (and before `npm start` / `npm run worker`): the API and the worker as plain JavaScript in dist/.
 *
 * Why not `node --import tsx` in production: tsx compiles every module at load time on a loader thread of its
 * own and keeps the sources; an idle API measured 211 MiB RSS under tsx against 132 MiB as built JavaScript
 * (docs/benchmarks.md "API memory at start"). The transform is esbuild's, the same one tsx and vitest apply, file by
 * file (no bundling), so dist/ runs the code the tests ran; types are checked by `npm test` (tsc), not here.
 *
 * Plain JavaScript so that it runs before anything is compiled.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/** Builds src/ and jobs/ (and `extra` entry points, e.g. a bench's own server) into `outdir`, mirroring the tree. */
export async function buildDist({ outdir = 'dist', extra = [] } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [...sources('src'), ...sources('jobs'), ...extra],
    outdir, outbase: '.', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning',
  });
  // src/db/migrate.ts reads ../../migrations from its own file: the built copy finds dist/migrations.
  cpSync('migrations', `${outdir}/migrations`, { recursive: true });
}

/** The TypeScript modules under `dir` (declarations have no code). */
const sources = (dir) => readdirSync(dir, { recursive: true })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${dir}/${f}`);

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  await buildDist();
  console.log(`jicai: built dist/ in ${Date.now() - t0} ms`);
}
