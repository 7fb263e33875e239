import { describe, expect, it } from 'vitest';
import { processors } from '../../jobs/processors/index.js';
import { JOB_KINDS } from '../../jobs/processors/kinds.js';

// An API process with Redis opens its queues from JOB_KINDS without loading the processors: a kind missing
// there would be committed to the outbox and never relayed.
describe('job kinds', () => {
  it('name exactly the kinds that have a processor', () => {
    expect([...JOB_KINDS].sort()).toEqual(Object.keys(processors).sort());
    expect(new Set(JOB_KINDS).size).toBe(JOB_KINDS.length);
  });
});
