/**
 * The process tests start the API and the worker as production does: built JavaScript (scripts/build.mjs, what
 * `npm start` and `npm run worker` run), built once per test run by the global setup into a directory of the
 * tests' own, so that the `npm start` test may rebuild dist/ meanwhile.
 */
export const BUILT_DIR = '.scratch/test-dist';

/** Node's arguments that run a TypeScript entry point (src/server.ts, jobs/main.ts) from the tests' build. */
export const builtEntry = (entry: string): string[] => [`${BUILT_DIR}/${entry.replace(/\.ts$/, '.js')}`];
