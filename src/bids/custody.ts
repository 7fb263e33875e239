import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { randomSlice } from '../random.js';

/**
 * Key custody (SECURITY.md). Each round has an X25519 key pair; bids are
 * sealed to its public key. The round's private key is sealed (ephemeral
 * X25519 + HKDF-SHA256 + AES-256-GCM) to the platform's opening public key,
 * whose private part lives only where opening runs (the worker). An API
 * process holds the opening public key alone: it can create rounds and seal
 * bids, but it holds no key that reads them.
 */
const SPKI_LEN = 44; // DER SubjectPublicKeyInfo of an X25519 key
const INFO = 'jicai round key v1';

export interface OpeningKey { publicKey: KeyObject; id: string }

export const spkiOf = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });

/** Names an opening key by its public part: the first 16 hex digits of sha256 of its SPKI. */
export const openingKeyId = (publicKey: KeyObject): string => createHash('sha256').update(spkiOf(publicKey)).digest('hex').slice(0, 16);

/** A PEM, or base64 of the DER (SPKI for the public key, PKCS#8 for the private key). */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  const k = t.startsWith('-----') ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
  if (k.asymmetricKeyType !== 'x25519') throw new Error('the opening public key must be an X25519 key');
  return k;
}
export function parsePrivateKey(text: string): KeyObject {
  const t = text.trim();
  const k = t.startsWith('-----') ? createPrivateKey(t) : createPrivateKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'pkcs8' });
  if (k.asymmetricKeyType !== 'x25519') throw new Error('the opening private key must be an X25519 key');
  return k;
}

/** A new opening key pair as text: the private key as PEM (PKCS#8), the public key as base64 SPKI DER. */
export function newOpeningKeyPair(): { privatePem: string; publicBase64: string } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicBase64: spkiOf(publicKey).toString('base64') };
}

function kdf(shared: Buffer, ephDer: Buffer, recipientDer: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephDer, recipientDer]), INFO, 32));
}

/** Seals bytes to an X25519 public key: ephemeral SPKI ‖ IV ‖ tag ‖ ciphertext, bound to `aad`. */
export function sealTo(recipient: KeyObject, plaintext: Buffer, aad: string): Buffer {
  const eph = generateKeyPairSync('x25519');
  const ephDer = spkiOf(eph.publicKey);
  const key = kdf(diffieHellman({ privateKey: eph.privateKey, publicKey: recipient }), ephDer, spkiOf(recipient));
  const iv = randomSlice(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([ephDer, iv, c.getAuthTag(), ct]);
}

export function openSealed(recipient: KeyObject, sealed: Buffer, aad: string): Buffer {
  const ephDer = sealed.subarray(0, SPKI_LEN);
  const eph = createPublicKey({ key: ephDer, format: 'der', type: 'spki' });
  const key = kdf(diffieHellman({ privateKey: recipient, publicKey: eph }), ephDer, spkiOf(createPublicKey(recipient)));
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(SPKI_LEN, SPKI_LEN + 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(SPKI_LEN + 12, SPKI_LEN + 28));
  return Buffer.concat([d.update(sealed.subarray(SPKI_LEN + 28)), d.final()]);
}

const roundKeyAad = (roundId: string, openingId: string) => `round-key:${roundId}:${openingId}`;

export interface RoundKeys { publicKey: string; sealedPrivateKey: string; sealedTo: string }

/** A round's key pair, its private part sealed to the opening key (never held in the clear beyond this call). */
export function newRoundKeys(opening: OpeningKey, roundId: string): RoundKeys {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    publicKey: spkiOf(publicKey).toString('base64'),
    sealedPrivateKey: sealTo(opening.publicKey, pkcs8, roundKeyAad(roundId, opening.id)).toString('base64'),
    sealedTo: opening.id,
  };
}

/** Only opening (where the opening private key lives) and key rotation call this. */
export function unsealRoundKey(openingPrivate: KeyObject, sealed: string, roundId: string): KeyObject {
  const id = openingKeyId(createPublicKey(openingPrivate));
  const der = openSealed(openingPrivate, Buffer.from(sealed, 'base64'), roundKeyAad(roundId, id));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Seals a round's private key to an opening key. */
export function sealRoundKey(roundKey: KeyObject, to: OpeningKey, roundId: string): string {
  return sealTo(to.publicKey, roundKey.export({ format: 'der', type: 'pkcs8' }), roundKeyAad(roundId, to.id)).toString('base64');
}

/** Re-seals a round key from one opening key to another (rotation). */
export function resealRoundKey(from: KeyObject, to: OpeningKey, sealed: string, roundId: string): string {
  return sealRoundKey(unsealRoundKey(from, sealed, roundId), to, roundId);
}

/** Round keys of installations before 0005 were wrapped (AES-256-GCM) by JICAI_BID_KEK; rotation re-seals them. */
export function unwrapLegacyRoundKey(kek: Buffer, wrapped: string, roundId: string): KeyObject {
  const buf = Buffer.from(wrapped, 'base64');
  const d = createDecipheriv('aes-256-gcm', kek, buf.subarray(0, 12));
  d.setAAD(Buffer.from(`round-key:${roundId}`, 'utf8'));
  d.setAuthTag(buf.subarray(12, 28));
  const der = Buffer.concat([d.update(buf.subarray(28)), d.final()]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
