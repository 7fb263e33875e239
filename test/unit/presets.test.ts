import { describe, it, expect } from 'vitest';
import { PRESETS, presetRules, resolveRules, stepLookup, type Rules, type Step } from '../../src/rules/presets.js';

// Verbatim from DOMAIN.md "The rules object of a round".
const NVBP_JSON = JSON.parse(`{ "preset": "nvbp",
  "eligibleQualityTiers": ["originator", "reference", "consistency_passed"],
  "minBidders": 1, "anchor": "lowest", "spreadCap": "1.8",
  "priceFloor": "0.10", "dropFromMax": "0.5", "excludeHighest": true,
  "maxWinners": [[1,1],[2,2],[4,3],[5,4],[7,5],[8,6],[9,7],[10,8],[11,9],[12,10]],
  "agreedVolumeRatios": [[1,"0.5"],[2,"0.6"],[3,"0.7"],[4,"0.8"]],
  "regionLevel": "province", "noticeMinutes": 0,
  "monitoring": { "graceMonths": 3, "minProgress": "0.8",
    "maxNonWinningShare": "0.3", "minFulfilment": "0.95", "maxDeliveryGap": "0.05" } }`);

function ok(input: unknown): Rules {
  const r = resolveRules(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.rules;
}

function errorsOf(input: unknown): { path: string; message: string }[] {
  const r = resolveRules(input);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('presets', () => {
  it('nvbp is the DOMAIN.md rules object', () => {
    expect(PRESETS.nvbp).toStrictEqual(NVBP_JSON);
    expect(ok({ preset: 'nvbp' })).toStrictEqual(NVBP_JSON);
  });

  it('pilot-4+7 differs as DOMAIN.md says', () => {
    expect(ok({ preset: 'pilot-4+7' })).toStrictEqual({
      ...NVBP_JSON,
      preset: 'pilot-4+7',
      maxWinners: [[1, 1]],
      agreedVolumeRatios: [[1, '0.6']],
      spreadCap: null,
      priceFloor: null,
      dropFromMax: null,
      excludeHighest: false,
    });
  });

  it('anchor-2025 differs as DOMAIN.md says', () => {
    expect(ok({ preset: 'anchor-2025' })).toStrictEqual({
      ...NVBP_JSON,
      preset: 'anchor-2025',
      anchor: 'half_mean',
      dropFromMax: null,
    });
  });

  it('resolved rules are copies that do not alias the presets', () => {
    const r = ok({ preset: 'nvbp' });
    r.maxWinners[0]![1] = 99;
    r.monitoring.graceMonths = 9;
    r.eligibleQualityTiers.push('x');
    expect(PRESETS.nvbp).toStrictEqual(NVBP_JSON);
    const p = presetRules('nvbp');
    p.agreedVolumeRatios.pop();
    expect(PRESETS.nvbp).toStrictEqual(NVBP_JSON);
  });

  it('a stored rules object resolves to itself', () => {
    for (const name of ['nvbp', 'pilot-4+7', 'anchor-2025'] as const) {
      const r = ok({ preset: name, spreadCap: '2', monitoring: { graceMonths: 1 } });
      expect(ok(JSON.parse(JSON.stringify(r)))).toStrictEqual(r);
    }
  });
});

describe('resolveRules overrides', () => {
  it('replaces whole top-level fields', () => {
    const r = ok({
      preset: 'nvbp',
      maxWinners: [[1, 1], [3, 2]],
      agreedVolumeRatios: [[1, '0.9']],
      eligibleQualityTiers: ['originator'],
      spreadCap: null,
      priceFloor: '0',
      dropFromMax: '1',
      minBidders: 3,
      anchor: 'half_mean',
      excludeHighest: false,
      regionLevel: 'city',
    });
    expect(r.maxWinners).toStrictEqual([[1, 1], [3, 2]]);
    expect(r.agreedVolumeRatios).toStrictEqual([[1, '0.9']]);
    expect(r.eligibleQualityTiers).toStrictEqual(['originator']);
    expect(r.spreadCap).toBeNull();
    expect(r.priceFloor).toBe('0');
    expect(r.dropFromMax).toBe('1');
    expect(r.minBidders).toBe(3);
    expect(r.anchor).toBe('half_mean');
    expect(r.excludeHighest).toBe(false);
    expect(r.regionLevel).toBe('city');
    expect(r.preset).toBe('nvbp');
    expect(r.monitoring).toStrictEqual(NVBP_JSON.monitoring);
  });

  it('merges monitoring field by field', () => {
    const r = ok({ preset: 'pilot-4+7', monitoring: { minProgress: '0.9', graceMonths: 0 } });
    expect(r.monitoring).toStrictEqual({ ...NVBP_JSON.monitoring, minProgress: '0.9', graceMonths: 0 });
    expect(ok({ preset: 'nvbp', monitoring: {} }).monitoring).toStrictEqual(NVBP_JSON.monitoring);
  });

  it('lets pilot-4+7 be widened back', () => {
    const r = ok({ preset: 'pilot-4+7', spreadCap: '1.8', excludeHighest: true });
    expect(r.spreadCap).toBe('1.8');
    expect(r.excludeHighest).toBe(true);
    expect(r.priceFloor).toBeNull();
  });

  it('does not keep a reference to the input', () => {
    const input = { preset: 'nvbp', maxWinners: [[1, 2]] as Step<number>[] };
    const r = ok(input);
    input.maxWinners[0]![1] = 7;
    expect(r.maxWinners).toStrictEqual([[1, 2]]);
  });
});

describe('resolveRules errors', () => {
  it('needs an object', () => {
    for (const bad of [null, undefined, 'nvbp', 3, []]) {
      expect(errorsOf(bad)).toStrictEqual([{ path: '/rules', message: expect.any(String) }]);
    }
  });

  it('needs a known preset', () => {
    expect(errorsOf({})[0]!.path).toBe('/rules/preset');
    expect(errorsOf({ preset: 'vbp' })[0]!.path).toBe('/rules/preset');
    expect(errorsOf({ preset: 1 })[0]!.path).toBe('/rules/preset');
    expect(errorsOf({ spreadCap: '2' })[0]!.path).toBe('/rules/preset');
  });

  it('refuses unknown fields', () => {
    expect(errorsOf({ preset: 'nvbp', spread: '2', foo: 1 }).map((e) => e.path)).toStrictEqual([
      '/rules/spread',
      '/rules/foo',
    ]);
    expect(errorsOf({ preset: 'nvbp', monitoring: { grace: 1 } }).map((e) => e.path)).toStrictEqual([
      '/rules/monitoring/grace',
    ]);
    expect(errorsOf({ preset: 'nvbp', monitoring: [] }).map((e) => e.path)).toStrictEqual(['/rules/monitoring']);
    expect(errorsOf({ preset: 'nvbp', monitoring: null }).map((e) => e.path)).toStrictEqual(['/rules/monitoring']);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['spreadCap as number', { spreadCap: 1.8 }, '/rules/spreadCap'],
    ['spreadCap below 1', { spreadCap: '0.9' }, '/rules/spreadCap'],
    ['spreadCap not decimal', { spreadCap: '1.8x' }, '/rules/spreadCap'],
    ['priceFloor negative', { priceFloor: '-0.1' }, '/rules/priceFloor'],
    ['priceFloor as number', { priceFloor: 0.1 }, '/rules/priceFloor'],
    ['dropFromMax zero', { dropFromMax: '0' }, '/rules/dropFromMax'],
    ['dropFromMax above 1', { dropFromMax: '1.5' }, '/rules/dropFromMax'],
    ['dropFromMax as number', { dropFromMax: 0.5 }, '/rules/dropFromMax'],
    ['minBidders zero', { minBidders: 0 }, '/rules/minBidders'],
    ['minBidders fractional', { minBidders: 1.5 }, '/rules/minBidders'],
    ['minBidders string', { minBidders: '1' }, '/rules/minBidders'],
    ['anchor unknown', { anchor: 'median' }, '/rules/anchor'],
    ['regionLevel unknown', { regionLevel: 'county' }, '/rules/regionLevel'],
    ['excludeHighest string', { excludeHighest: 'true' }, '/rules/excludeHighest'],
    ['tiers empty', { eligibleQualityTiers: [] }, '/rules/eligibleQualityTiers'],
    ['tiers not array', { eligibleQualityTiers: 'originator' }, '/rules/eligibleQualityTiers'],
    ['tier empty string', { eligibleQualityTiers: ['originator', ''] }, '/rules/eligibleQualityTiers/1'],
    ['tier not string', { eligibleQualityTiers: [1] }, '/rules/eligibleQualityTiers/0'],
    ['maxWinners empty', { maxWinners: [] }, '/rules/maxWinners'],
    ['maxWinners not array', { maxWinners: { 1: 1 } }, '/rules/maxWinners'],
    ['maxWinners first from not 1', { maxWinners: [[2, 1]] }, '/rules/maxWinners/0/0'],
    ['maxWinners from zero', { maxWinners: [[0, 1]] }, '/rules/maxWinners/0/0'],
    ['maxWinners from not increasing', { maxWinners: [[1, 1], [3, 2], [3, 3]] }, '/rules/maxWinners/2/0'],
    ['maxWinners from decreasing', { maxWinners: [[1, 1], [3, 2], [2, 3]] }, '/rules/maxWinners/2/0'],
    ['maxWinners from fractional', { maxWinners: [[1, 1], [2.5, 2]] }, '/rules/maxWinners/1/0'],
    ['maxWinners value zero', { maxWinners: [[1, 0]] }, '/rules/maxWinners/0/1'],
    ['maxWinners value fractional', { maxWinners: [[1, 1.5]] }, '/rules/maxWinners/0/1'],
    ['maxWinners step not a pair', { maxWinners: [[1]] }, '/rules/maxWinners/0'],
    ['maxWinners step triple', { maxWinners: [[1, 1, 1]] }, '/rules/maxWinners/0'],
    ['ratios empty', { agreedVolumeRatios: [] }, '/rules/agreedVolumeRatios'],
    ['ratio zero', { agreedVolumeRatios: [[1, '0']] }, '/rules/agreedVolumeRatios/0/1'],
    ['ratio above 1', { agreedVolumeRatios: [[1, '1.01']] }, '/rules/agreedVolumeRatios/0/1'],
    ['ratio as number', { agreedVolumeRatios: [[1, 0.5]] }, '/rules/agreedVolumeRatios/0/1'],
    ['ratios first from not 1', { agreedVolumeRatios: [[2, '0.5']] }, '/rules/agreedVolumeRatios/0/0'],
    ['graceMonths negative', { monitoring: { graceMonths: -1 } }, '/rules/monitoring/graceMonths'],
    ['graceMonths fractional', { monitoring: { graceMonths: 1.5 } }, '/rules/monitoring/graceMonths'],
    ['minProgress above 1', { monitoring: { minProgress: '1.01' } }, '/rules/monitoring/minProgress'],
    ['minProgress number', { monitoring: { minProgress: 0.8 } }, '/rules/monitoring/minProgress'],
    ['minFulfilment zero', { monitoring: { minFulfilment: '0' } }, '/rules/monitoring/minFulfilment'],
    ['maxNonWinningShare negative', { monitoring: { maxNonWinningShare: '-0.3' } }, '/rules/monitoring/maxNonWinningShare'],
    ['maxDeliveryGap null', { monitoring: { maxDeliveryGap: null } }, '/rules/monitoring/maxDeliveryGap'],
    ['null tiers', { eligibleQualityTiers: null }, '/rules/eligibleQualityTiers'],
    ['null minBidders', { minBidders: null }, '/rules/minBidders'],
  ];
  it.each(cases)('%s', (_name, override, path) => {
    const errors = errorsOf({ preset: 'nvbp', ...override });
    expect(errors.map((e) => e.path)).toStrictEqual([path]);
    expect(errors[0]!.message.length).toBeGreaterThan(0);
  });

  it('says decimals must be strings', () => {
    expect(errorsOf({ preset: 'nvbp', spreadCap: 1.8 })[0]!.message).toMatch(/string.*"1\.8"/);
    expect(errorsOf({ preset: 'nvbp', dropFromMax: 0.5 })[0]!.message).toMatch(/string/);
  });

  it('reports every error at once', () => {
    const errors = errorsOf({ preset: 'nvbp', spreadCap: '0', minBidders: 0, monitoring: { graceMonths: -1 } });
    expect(errors.map((e) => e.path).sort()).toStrictEqual(
      ['/rules/minBidders', '/rules/monitoring/graceMonths', '/rules/spreadCap'].sort(),
    );
  });

  it('accepts the boundaries', () => {
    expect(ok({ preset: 'nvbp', spreadCap: '1', priceFloor: '0', dropFromMax: '1' }).spreadCap).toBe('1');
    expect(ok({ preset: 'nvbp', agreedVolumeRatios: [[1, '1']], minBidders: 1 }).agreedVolumeRatios).toStrictEqual([
      [1, '1'],
    ]);
    expect(ok({ preset: 'nvbp', monitoring: { graceMonths: 0, maxDeliveryGap: '1' } }).monitoring.graceMonths).toBe(0);
  });
});

describe('stepLookup', () => {
  it('takes the last step with from ≤ n', () => {
    const t: Step<string>[] = [[1, 'a'], [3, 'b'], [10, 'c']];
    expect(stepLookup(t, 0)).toBeNull();
    expect(stepLookup(t, 1)).toBe('a');
    expect(stepLookup(t, 2)).toBe('a');
    expect(stepLookup(t, 3)).toBe('b');
    expect(stepLookup(t, 9)).toBe('b');
    expect(stepLookup(t, 10)).toBe('c');
    expect(stepLookup(t, 1000)).toBe('c');
    expect(stepLookup([[2, 'x']], 1)).toBeNull();
    expect(stepLookup([], 5)).toBeNull();
  });

  it('gives the default maxWinners table for n = 1..13', () => {
    const expected = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 10];
    expect(expected.map((_, i) => stepLookup(PRESETS.nvbp.maxWinners, i + 1))).toStrictEqual(expected);
  });

  it('gives the default agreed volume ratios', () => {
    const t = PRESETS.nvbp.agreedVolumeRatios;
    expect([1, 2, 3, 4, 5, 10].map((n) => stepLookup(t, n))).toStrictEqual(['0.5', '0.6', '0.7', '0.8', '0.8', '0.8']);
  });
});
