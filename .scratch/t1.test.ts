import { it } from 'vitest';
import { client, org, testApp } from '../test/helpers.js';
it('x', async () => {
  const t = await testApp(); const c = client(t.app);
  const a = await org(c, { kind: 'alliance', name: 'A', regionCode: '440000', regionCodes: ['440000'] });
  const r = await c.post('/v1/rounds', a.h, { name: 'R', rules: { preset: 'nvbp' }, bidOpensAt: '2026-03-10T00:00:00Z', bidClosesAt: '2026-03-20T00:00:00Z', contractMonths: 12 });
  console.log((await c.get(`/v1/rounds/${r.body.id}/audit?limit=1000`, a.h)));
  await t.close();
});
