/**
 * Prints a new opening key pair (SECURITY.md "Key custody"): the public key
 * (base64 SPKI) for every process as JICAI_OPENING_PUBLIC_KEY, the private
 * key (PEM) for the worker only, as JICAI_OPENING_PRIVATE_KEY or a file named
 * by JICAI_OPENING_PRIVATE_KEY_FILE.  Usage: npx tsx scripts/opening-key.ts [private-key-file]
 */
import { writeFileSync } from 'node:fs';
import { newOpeningKeyPair, openingKeyId, parsePublicKey } from '../src/bids/custody.js';

const pair = newOpeningKeyPair();
const file = process.argv[2];
if (file) writeFileSync(file, pair.privatePem, { mode: 0o600, flag: 'wx' });
else process.stdout.write(pair.privatePem);
console.log(`JICAI_OPENING_PUBLIC_KEY=${pair.publicBase64}`);
console.log(`opening key id: ${openingKeyId(parsePublicKey(pair.publicBase64))}${file ? `; private key written to ${file}` : ''}`);
