import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { randomSlice } from '../random.js';

/**
 * Sealed bids. Each round has an X25519 key pair: bids are sealed to its
 * public key (ephemeral X25519 + HKDF-SHA256 + AES-256-GCM). The round's
 * private key is stored only sealed to the opening key (src/bids/custody.ts),
 * whose private part lives only where opening runs, so the processes that
 * accept bids hold no key that reads them. Additional data binds each
 * ciphertext to its round, item, bidder and version.
 */
function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomSlice(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
}

function gcmOpen(key: Buffer, buf: Buffer, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([d.update(buf.subarray(28)), d.final()]);
}

/**
 * Every sealed plaintext is padded with spaces (JSON ignores them) to this
 * many bytes, so a ciphertext's length tells nothing of its price: the
 * longest valid content (10 integer digits, 4 places, a 32-digit salt) is 76.
 */
export const SEALED_PLAINTEXT_BYTES = 96;

export function padContent(content: SealedContent): Buffer {
  const json = Buffer.from(JSON.stringify(content), 'utf8');
  if (json.length > SEALED_PLAINTEXT_BYTES) throw new Error(`sealed content of ${json.length} bytes exceeds ${SEALED_PLAINTEXT_BYTES}`);
  return Buffer.concat([json, Buffer.alloc(SEALED_PLAINTEXT_BYTES - json.length, 0x20)]);
}

export interface SealedContent { packagePrice: string; salt: string }
export interface BidPlace { roundId: string; itemCode: string; manufacturerId: string; version: number }

const bidAad = (w: BidPlace) => `bid:${w.roundId}:${w.itemCode}:${w.manufacturerId}:${w.version}`;
const SPKI_LEN = 44; // DER SubjectPublicKeyInfo of an X25519 key

function derive(shared: Buffer, ephemeral: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, ephemeral, 'jicai sealed bid v1', 32));
}

const publicKeys = new Map<string, KeyObject>();
function roundPublicKey(spkiBase64: string): KeyObject {
  let k = publicKeys.get(spkiBase64);
  if (!k) {
    k = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    if (publicKeys.size > 1000) publicKeys.clear();
    publicKeys.set(spkiBase64, k);
  }
  return k;
}

/**
 * The sealing side keeps one ephemeral X25519 key per round for at most a
 * minute (or 10,000 bids) and derives the AES key from it once: two key
 * agreements per bid were most of a bid's CPU. Each bid still gets its own
 * random IV and is bound to its place by the additional data. Only the
 * ephemeral public key is stored with the bid; what the process keeps is
 * the derived key of its current ephemeral, which opens nothing sealed by
 * another process or after rotation, and nothing an attacker reading the
 * process could not read from the requests themselves.
 */
const ROTATE_MS = 60_000;
const ROTATE_USES = 10_000;
interface Sealer { ephDer: Buffer; key: Buffer; until: number; uses: number }
const sealers = new Map<string, Sealer>();

function sealerFor(roundPublicKeySpki: string): Sealer {
  const now = Date.now();
  let s = sealers.get(roundPublicKeySpki);
  if (!s || s.until <= now || s.uses >= ROTATE_USES) {
    const eph = generateKeyPairSync('x25519');
    const ephDer = eph.publicKey.export({ format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: roundPublicKey(roundPublicKeySpki) });
    s = { ephDer, key: derive(shared, ephDer), until: now + ROTATE_MS, uses: 0 };
    if (sealers.size > 1000) sealers.clear();
    sealers.set(roundPublicKeySpki, s);
  }
  s.uses++;
  return s;
}

export function sealBid(roundPublicKeySpki: string, where: BidPlace, content: SealedContent): string {
  const s = sealerFor(roundPublicKeySpki);
  const body = gcmSeal(s.key, padContent(content), bidAad(where));
  return Buffer.concat([s.ephDer, body]).toString('base64');
}

/** Opens one bid; `keys` caches the derived key per ephemeral key within one opening. */
export function openBid(roundKey: KeyObject, where: BidPlace, sealed: string, keys: Map<string, Buffer> = new Map()): SealedContent {
  const buf = Buffer.from(sealed, 'base64');
  const ephDer = buf.subarray(0, SPKI_LEN);
  const id = ephDer.toString('base64');
  let key = keys.get(id);
  if (!key) {
    const shared = diffieHellman({ privateKey: roundKey, publicKey: createPublicKey({ key: ephDer, format: 'der', type: 'spki' }) });
    key = derive(shared, ephDer);
    keys.set(id, key);
  }
  return JSON.parse(gcmOpen(key, buf.subarray(SPKI_LEN), bidAad(where)).toString('utf8'));
}
