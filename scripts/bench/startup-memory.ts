/**
 * The API's memory before any work: the same server built (as `npm start` runs it) and from the sources
 * through tsx (`npm run dev`), each idle against the national database. What every later RSS figure starts from.
 */
import { benchPort, rssMiB, startServer, type Section } from './common.js';

/** RSS once start-up has settled (its garbage collected or not, as production would see it). */
async function settled(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 3000));
  return rssMiB(pid);
}

export async function startupMemory(builtPid: number, env: Record<string, string>): Promise<Section> {
  const built = await settled(builtPid);
  const dev = await startServer('src/server.ts', { ...env, PORT: benchPort(5) }, '/health', true);
  const sources = await settled(dev.proc.pid!);
  await dev.stop();
  return {
    title: 'API memory at start',
    body: `RSS of an idle API process (PostgreSQL and Redis; it relays jobs and loads no processor) 3 s after it answered /health, before any other request:

| how it runs | RSS |
|---|---|
| built: \`npm start\` (scripts/build.mjs, then \`node dist/src/server.js\`) | **${built.toFixed(0)} MiB** |
| from the sources: \`npm run dev\` (\`node --import tsx src/server.ts\`) | ${sources.toFixed(0)} MiB |

tsx compiles each module as it loads, on a loader thread with a V8 heap of its own, and keeps the compiled sources: ${(sources - built).toFixed(0)} MiB
that the built API does not carry. Every RSS figure below is of the built API.`,
    targets: [],
  };
}
