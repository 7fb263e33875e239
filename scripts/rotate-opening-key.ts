/**
 * Opening key rotation (SECURITY.md "Rotation"): re-seals the round key of
 * every round not yet opened to a new opening key. Run it where the current
 * opening private key lives (the worker's host), then give every process the
 * new public key and the worker the new private key.
 *
 *   DATABASE_URL=… JICAI_OPENING_PRIVATE_KEY_FILE=old.pem JICAI_NEW_OPENING_PUBLIC_KEY=<base64> npx tsx scripts/rotate-opening-key.ts
 *   (an installation from before 0005: JICAI_BID_KEK=<old kek> instead of the old private key)
 *   Embedded (no DATABASE_URL): JICAI_DATA_DIR=./data; the old key is data/opening-key.pem.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { openingKeyId, parsePrivateKey, parsePublicKey } from '../src/bids/custody.js';
import { rotateOpeningKey, type RotationSource } from '../src/bids/rotation.js';
import { createDb } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';

const env = process.env;
const fail = (m: string): never => { console.error(`rotate-opening-key: ${m}`); process.exit(1); };
const dataDir = resolve(env.JICAI_DATA_DIR || './data');
const newPublic = env.JICAI_NEW_OPENING_PUBLIC_KEY ? parsePublicKey(env.JICAI_NEW_OPENING_PUBLIC_KEY) : fail('JICAI_NEW_OPENING_PUBLIC_KEY is required');
let from: RotationSource;
if (env.JICAI_BID_KEK) {
  from = { legacyKek: /^[0-9a-f]{64}$/i.test(env.JICAI_BID_KEK) ? Buffer.from(env.JICAI_BID_KEK, 'hex') : Buffer.from(env.JICAI_BID_KEK, 'base64') };
} else {
  const text = env.JICAI_OPENING_PRIVATE_KEY
    ?? readFileSync(env.JICAI_OPENING_PRIVATE_KEY_FILE ?? (env.DATABASE_URL ? fail('the current opening private key is required') : join(dataDir, 'opening-key.pem')), 'utf8');
  const key = parsePrivateKey(text);
  from = { openingPrivateKey: key, id: openingKeyId(createPublicKey(key)) };
}
const db = await createDb(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, max: 2 } : { databaseUrl: null, dataDir: join(dataDir, 'pglite') });
await runMigrations(db);
const to = { publicKey: newPublic, id: openingKeyId(newPublic) };
const moved = await rotateOpeningKey(db, from, to);
await db.close();
console.log(`re-sealed ${moved.length} round key(s) to opening key ${to.id}`);
