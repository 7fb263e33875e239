import { Type, type Static } from '@sinclair/typebox';
import { NullableDecimal4 } from '../http/schemas.js';
import { ItemOutcome } from '../results/schemas.js';
import { RulesInput } from '../rounds/schemas.js';

export const SimulationInput = Type.Object({ rules: RulesInput }, { additionalProperties: false });
export type SimulationInput = Static<typeof SimulationInput>;

export const Simulation = Type.Object({
  rules: Type.Record(Type.String(), Type.Unknown(), { description: 'the rules simulated, resolved' }),
  round: Type.Object({
    items: Type.Integer(), awardedItems: Type.Integer(), averageDrop: NullableDecimal4,
    weightedDrop: NullableDecimal4,
  }),
  items: Type.Array(ItemOutcome),
});
export type Simulation = Static<typeof Simulation>;
