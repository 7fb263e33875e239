import type { KeyObject } from 'node:crypto';
import type { Db } from '../db/client.js';
import { resealRoundKey, sealRoundKey, unwrapLegacyRoundKey, type OpeningKey } from './custody.js';

/** Where the round keys are now: an opening private key, or (before 0005) the old JICAI_BID_KEK. */
export type RotationSource = { openingPrivateKey: KeyObject; id: string } | { legacyKek: Buffer };

/**
 * Re-seals the round key of every round not yet opened (draft, demand,
 * bidding) from `from` to `to`, one round per transaction under its row lock
 * (an opening waits, and then finds the key sealed to the new key). Opened,
 * awarded, closed and cancelled rounds need their key no more and are left as
 * they are. Returns the rounds re-sealed.
 */
export async function rotateOpeningKey(db: Db, from: RotationSource, to: OpeningKey): Promise<string[]> {
  const sealedTo = 'legacyKek' in from ? null : from.id;
  const ids = (await db.query<{ id: string }>(
    `SELECT id FROM rounds WHERE state IN ('draft', 'demand', 'bidding') AND round_key_sealed_to IS NOT DISTINCT FROM $1 ORDER BY id`, [sealedTo])).map((r) => r.id);
  const done: string[] = [];
  for (const id of ids) {
    const moved = await db.transaction(async (tx) => {
      const [r] = await tx.query<{ wrapped_round_key: string; state: string; sealed_to: string | null }>(
        'SELECT wrapped_round_key, state, round_key_sealed_to AS sealed_to FROM rounds WHERE id = $1 FOR UPDATE', [id]);
      if (!r || r.sealed_to !== sealedTo || !['draft', 'demand', 'bidding'].includes(r.state)) return false;
      const sealed = 'legacyKek' in from
        ? sealRoundKey(unwrapLegacyRoundKey(from.legacyKek, r.wrapped_round_key, id), to, id)
        : resealRoundKey(from.openingPrivateKey, to, r.wrapped_round_key, id);
      await tx.query('UPDATE rounds SET wrapped_round_key = $2, round_key_sealed_to = $3 WHERE id = $1', [id, sealed, to.id]);
      return true;
    });
    if (moved) done.push(id);
  }
  return done;
}
