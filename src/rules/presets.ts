// Round rules are data: a named preset plus overrides (DOMAIN.md "Winner selection" §7 and
// "The rules object of a round").
import { D, isDecimalString } from './decimal.js';

/** `[from, value]`: value holds for every n ≥ from until the next step. */
export type Step<T> = [number, T];

export interface MonitoringRules {
  graceMonths: number;
  minProgress: string;
  maxNonWinningShare: string;
  minFulfilment: string;
  maxDeliveryGap: string;
}

export type PresetName = 'nvbp' | 'pilot-4+7' | 'anchor-2025';

export interface Rules {
  preset: PresetName;
  eligibleQualityTiers: string[];
  minBidders: number;
  anchor: 'lowest' | 'half_mean';
  spreadCap: string | null;
  priceFloor: string | null;
  dropFromMax: string | null;
  excludeHighest: boolean;
  maxWinners: Step<number>[];
  agreedVolumeRatios: Step<string>[];
  regionLevel: 'province' | 'city';
  /** Minutes of the notice period (公示) after opening; 0: none. */
  noticeMinutes: number;
  monitoring: MonitoringRules;
}

export interface RuleError {
  path: string;
  message: string;
}

export type ResolveResult = { ok: true; rules: Rules } | { ok: false; errors: RuleError[] };

const NVBP: Rules = {
  preset: 'nvbp',
  eligibleQualityTiers: ['originator', 'reference', 'consistency_passed'],
  minBidders: 1,
  anchor: 'lowest',
  spreadCap: '1.8',
  priceFloor: '0.10',
  dropFromMax: '0.5',
  excludeHighest: true,
  maxWinners: [[1, 1], [2, 2], [4, 3], [5, 4], [7, 5], [8, 6], [9, 7], [10, 8], [11, 9], [12, 10]],
  agreedVolumeRatios: [[1, '0.5'], [2, '0.6'], [3, '0.7'], [4, '0.8']],
  regionLevel: 'province',
  noticeMinutes: 0,
  monitoring: {
    graceMonths: 3,
    minProgress: '0.8',
    maxNonWinningShare: '0.3',
    minFulfilment: '0.95',
    maxDeliveryGap: '0.05',
  },
};

// 4+7 pilot: a single winner, only the lowest bid is a candidate, ratio 0.6 unless the item fixes one.
const PILOT: Rules = {
  ...NVBP,
  preset: 'pilot-4+7',
  spreadCap: null,
  priceFloor: null,
  dropFromMax: null,
  excludeHighest: false,
  maxWinners: [[1, 1]],
  agreedVolumeRatios: [[1, '0.6']],
};

const ANCHOR_2025: Rules = { ...NVBP, preset: 'anchor-2025', anchor: 'half_mean', dropFromMax: null };

/** Fresh deep copy so callers can never mutate the shared presets. */
function copy(r: Rules): Rules {
  return {
    ...r,
    eligibleQualityTiers: [...r.eligibleQualityTiers],
    maxWinners: r.maxWinners.map(([f, v]) => [f, v] as Step<number>),
    agreedVolumeRatios: r.agreedVolumeRatios.map(([f, v]) => [f, v] as Step<string>),
    monitoring: { ...r.monitoring },
  };
}

export const PRESET_NAMES: readonly PresetName[] = ['nvbp', 'pilot-4+7', 'anchor-2025'];

export const PRESETS: Readonly<Record<PresetName, Readonly<Rules>>> = Object.freeze({
  nvbp: NVBP,
  'pilot-4+7': PILOT,
  'anchor-2025': ANCHOR_2025,
});

/** Returns a mutable copy of a preset. */
export function presetRules(name: PresetName): Rules {
  return copy(PRESETS[name]);
}

/** Value of the last step with from ≤ n; null when n is below the first step. Tables are sorted by from. */
export function stepLookup<T>(table: readonly Step<T>[], n: number): T | null {
  let found: T | null = null;
  for (const [from, value] of table) {
    if (from <= n) found = value;
    else break;
  }
  return found;
}

const TOP_FIELDS = Object.keys(NVBP) as (keyof Rules)[];
const MONITORING_FIELDS = Object.keys(NVBP.monitoring) as (keyof MonitoringRules)[];

/** Untrusted input shaped like Rules (any field may hold anything). */
type Loose<T> = { [K in keyof T]?: unknown };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Message for a value that should be a decimal string; decimals travel as strings in the API. */
function notDecimal(v: unknown, example: string): string {
  return typeof v === 'number'
    ? `must be a decimal string, not a number (write "${Number.isFinite(v) ? String(v) : example}")`
    : `must be a decimal string such as "${example}"`;
}

/** Ratio: decimal string in (0, 1]. Returns an error message or null. */
function ratioError(v: unknown): string | null {
  if (!isDecimalString(v)) return notDecimal(v, '0.5');
  const d = new D(v);
  return d.gt(0) && d.lte(1) ? null : 'must be greater than 0 and at most 1';
}

function stepTableErrors(
  path: string,
  v: unknown,
  valueError: (x: unknown) => string | null,
  errors: RuleError[],
): void {
  if (!Array.isArray(v) || v.length === 0) {
    errors.push({ path, message: 'must be a non-empty array of [from, value] steps' });
    return;
  }
  let prev = 0;
  v.forEach((step: unknown, i) => {
    const p = `${path}/${i}`;
    if (!Array.isArray(step) || step.length !== 2) {
      errors.push({ path: p, message: 'must be a [from, value] pair' });
      return;
    }
    const [from, value] = step as [unknown, unknown];
    if (!isInt(from) || from < 1) {
      errors.push({ path: `${p}/0`, message: 'from must be an integer ≥ 1' });
    } else {
      if (i === 0 && from !== 1) errors.push({ path: `${p}/0`, message: 'the first step must start at 1' });
      if (i > 0 && from <= prev) errors.push({ path: `${p}/0`, message: 'from must be strictly increasing' });
      prev = from;
    }
    const ve = valueError(value);
    if (ve !== null) errors.push({ path: `${p}/1`, message: ve });
  });
}

/** A notice period lasts at most a year. */
export const MAX_NOTICE_MINUTES = 525_600;

/** Validates a complete rules object; paths are rooted at /rules. */
export function validateRules(r: Loose<Rules>): RuleError[] {
  const errors: RuleError[] = [];
  const err = (field: string, message: string) => errors.push({ path: `/rules/${field}`, message });

  if (!PRESET_NAMES.includes(r.preset as PresetName)) err('preset', `must be one of ${PRESET_NAMES.join(', ')}`);

  const tiers = r.eligibleQualityTiers;
  if (!Array.isArray(tiers) || tiers.length === 0) {
    err('eligibleQualityTiers', 'must be a non-empty array of non-empty strings');
  } else {
    tiers.forEach((t: unknown, i) => {
      if (typeof t !== 'string' || t.length === 0) err(`eligibleQualityTiers/${i}`, 'must be a non-empty string');
    });
  }

  if (!isInt(r.minBidders) || r.minBidders < 1) err('minBidders', 'must be an integer ≥ 1');
  if (r.anchor !== 'lowest' && r.anchor !== 'half_mean') err('anchor', 'must be "lowest" or "half_mean"');

  if (r.spreadCap !== null) {
    if (!isDecimalString(r.spreadCap)) err('spreadCap', `${notDecimal(r.spreadCap, '1.8')}, or null`);
    else if (new D(r.spreadCap).lt(1)) err('spreadCap', 'must be at least 1');
  }
  if (r.priceFloor !== null) {
    if (!isDecimalString(r.priceFloor)) err('priceFloor', `${notDecimal(r.priceFloor, '0.10')}, or null`);
    else if (new D(r.priceFloor).lt(0)) err('priceFloor', 'must be at least 0');
  }
  if (r.dropFromMax !== null) {
    const e = ratioError(r.dropFromMax);
    if (e !== null) err('dropFromMax', `${e}, or null`);
  }
  if (typeof r.excludeHighest !== 'boolean') err('excludeHighest', 'must be a boolean');

  stepTableErrors(
    '/rules/maxWinners',
    r.maxWinners,
    (x) => (isInt(x) && x >= 1 ? null : 'max winners must be an integer ≥ 1'),
    errors,
  );
  stepTableErrors('/rules/agreedVolumeRatios', r.agreedVolumeRatios, ratioError, errors);

  if (r.regionLevel !== 'province' && r.regionLevel !== 'city') err('regionLevel', 'must be "province" or "city"');
  if (!isInt(r.noticeMinutes) || r.noticeMinutes < 0 || r.noticeMinutes > MAX_NOTICE_MINUTES) {
    err('noticeMinutes', `must be an integer from 0 to ${MAX_NOTICE_MINUTES} (a year)`);
  }

  const m = r.monitoring as Loose<MonitoringRules>;
  if (!isPlainObject(m)) {
    err('monitoring', 'must be an object');
  } else {
    if (!isInt(m.graceMonths) || m.graceMonths < 0) err('monitoring/graceMonths', 'must be an integer ≥ 0');
    for (const f of ['minProgress', 'maxNonWinningShare', 'minFulfilment', 'maxDeliveryGap'] as const) {
      const e = ratioError(m[f]);
      if (e !== null) err(`monitoring/${f}`, e);
    }
  }
  return errors;
}

/**
 * Builds a round's rules from `{ preset, ...overrides }`. Overrides replace whole
 * top-level fields; `monitoring` merges field by field. Unknown fields are errors.
 * The stored rules object itself is valid input (it resolves to itself).
 */
export function resolveRules(input: unknown): ResolveResult {
  if (!isPlainObject(input)) return { ok: false, errors: [{ path: '/rules', message: 'must be an object' }] };
  const given = input as Loose<Rules>;
  const preset = given.preset;
  if (typeof preset !== 'string' || !PRESET_NAMES.includes(preset as PresetName)) {
    return {
      ok: false,
      errors: [{ path: '/rules/preset', message: `is required and must be one of ${PRESET_NAMES.join(', ')}` }],
    };
  }

  const errors: RuleError[] = [];
  for (const k of Object.keys(input)) {
    if (!(TOP_FIELDS as string[]).includes(k)) errors.push({ path: `/rules/${k}`, message: 'is not a known rule' });
  }
  if (given.monitoring !== undefined) {
    if (!isPlainObject(given.monitoring)) {
      errors.push({ path: '/rules/monitoring', message: 'must be an object' });
    } else {
      for (const k of Object.keys(given.monitoring)) {
        if (!(MONITORING_FIELDS as string[]).includes(k)) {
          errors.push({ path: `/rules/monitoring/${k}`, message: 'is not a known monitoring rule' });
        }
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const base = presetRules(preset as PresetName);
  const merged: Loose<Rules> = { ...base };
  for (const k of TOP_FIELDS) {
    if (k === 'monitoring' || given[k] === undefined) continue;
    merged[k] = structuredClone(given[k]);
  }
  if (isPlainObject(given.monitoring)) {
    const mon: Record<string, unknown> = { ...base.monitoring };
    for (const [k, v] of Object.entries(given.monitoring)) if (v !== undefined) mon[k] = v;
    merged.monitoring = mon;
  }

  const invalid = validateRules(merged);
  if (invalid.length > 0) return { ok: false, errors: invalid };
  return { ok: true, rules: merged as unknown as Rules };
}
