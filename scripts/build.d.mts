/** scripts/build.mjs, for the TypeScript that calls it (the bench builds what it starts). */
export function buildDist(options?: { outdir?: string; extra?: string[] }): Promise<void>;
