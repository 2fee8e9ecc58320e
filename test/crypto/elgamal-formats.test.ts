import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytesBE, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import {
  ciphertextLabel,
  decodeBlindingRequest,
  decodeCiphertext,
  decodeDecryptionShare,
  decodeReencryptedShare,
  decryptWithSecret,
  encodeCiphertext,
} from '../../src/crypto/elgamal/index.js';
import {
  decodeEscrowPackage,
  decodeReleasedShare,
  encodeEscrowPackage,
  reconstructEscrowedKey,
  verifyEscrowShare,
} from '../../src/crypto/escrow/index.js';
import { ED25519, RISTRETTO255 as G, SECP256K1 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { SecretShare } from '../../src/crypto/vss.js';

// Known-answer vectors of the version-1 byte formats (docs/crypto.md). They were produced once by this
// code; a change that breaks them changes the wire format and needs a new version byte.
const SERVICE_SECRET = 0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefn;
const CIPHERTEXT_V1 = [
  '0101eaab7c365880742f5c1e5a1d1b7fb16c7021303bc26740d5dc279afcbc16b2249ad101747836014cff89132ccd36',
  'eaadcfab884661da73b74dbc8dcff408ac309bc995f5f00e4fe7875d128aef96604c6d5d101be0382ba80419f55b7b79',
  '2709f3c965b5b66ac1567abb3d2191da0beabe12253a397fa294746999cef7b4d5090000002b000000166f6d6567612f',
  '656c67616d616c2f6c6162656c2f7631000000036b617400000005616c69636500000000278adb4f7118ca9cfa9a07f5',
  '98fe6f34eeec34d002b9d95077bd74d9743bb2706143b736c350e264',
].join('');
const USER_SECP256K1_KEY = bigintToBytesBE(
  0x0fedcba9876543210fedcba9876543210fedcba9876543210fedcba987654321n,
  32,
);
const REPLICA_EPOCH_SECRETS = [11n, 12n, 13n, 14n];
const ESCROW_V1 = [
  '0103000000036b617400000005616c6963650000000000000007010403fd1b7de8c449eecda5e5e2f3b4d7dcb5c241d0',
  'bb727d1c2098a4d3f423857b62025567ae372336e91aa746f2272a7d429319bbf30c8f71a8e065ca07a650f4b55467e3',
  '884bb88297ff299e86bfd99eca3543b5b0bb06563d2d88cfe9d5f623e6b91b7ea277d113a53bf2d90b7552554ccc8557',
  'd0dadb2a4540538e22c70884973d9ef00bb61e658102ea22ebf72d579d34b809b652f5a2ca995bfcdaa65eb7673dfcbb',
  '3ef3af0cec28130905f6a05d752e97743fb9e0445dfb885f10bee5c23606c9dbe1d3b1ec1d25a96d7db39322161338f9',
  '4d83a75e8e3077c079d6b7b250f73e4eb9698ef1cb64e0297184507bc50a3da0a720f2d569e9c08db8eb0051a2226e63',
  '1b2e4bded32dc422a821e7053f685283ad8ef25833e24d09248019473cd0a26521cd098b32bf95d127b7e929ac8504a5',
  'f36972977c835490ca8909513b6721bd14d8e841944c4b4719b0ec3c42d4180e802e1a7ea1fbeaa258b520f02fb4',
].join('');

describe('byte formats, version 1 (known answers)', () => {
  it('a stored TDH2 ciphertext still decodes, validates and decrypts', () => {
    const bytes = fromHex(CIPHERTEXT_V1);
    const ct = decodeCiphertext(bytes);
    expect(toHex(encodeCiphertext(ct))).toBe(CIPHERTEXT_V1);
    expect(ct.label).toEqual(ciphertextLabel({ purpose: 'kat', owner: utf8('alice') }));
    expect(decryptWithSecret(G.mulBase(SERVICE_SECRET), ct, SERVICE_SECRET)).toEqual(
      utf8('omega known-answer test'),
    );
  });

  it('a stored escrow package still decodes, verifies at every replica and rebuilds the key', () => {
    const pkg = decodeEscrowPackage(fromHex(ESCROW_V1));
    expect(toHex(encodeEscrowPackage(pkg))).toBe(ESCROW_V1);
    const registered = secp256k1.getPublicKey(USER_SECP256K1_KEY, true);
    const rng = deterministicRandom('kat/escrow/verify');
    const shares: SecretShare[] = REPLICA_EPOCH_SECRETS.map((secretKey, k) => {
      const v = verifyEscrowShare(
        pkg,
        registered,
        { index: k + 1, secretKey, publicKey: G.encode(G.mulBase(secretKey)) },
        rng,
      );
      if (v.status !== 'ok') throw new Error(`replica ${k + 1}: ${v.reason}`);
      return v.share;
    });
    expect(reconstructEscrowedKey(pkg, registered, shares.slice(2)).key.privateKey).toEqual(
      USER_SECP256K1_KEY,
    );
  });

  it('every decoder turns random bytes into an OmegaError, never a crash', () => {
    const decoders: [string, (b: Uint8Array) => unknown, number][] = [
      ['ciphertext', decodeCiphertext, 200],
      ['decryption share', (b) => decodeDecryptionShare(G, b), 98],
      ['decryption share (secp256k1)', (b) => decodeDecryptionShare(SECP256K1, b), 99],
      ['re-encrypted share', (b) => decodeReencryptedShare(G, b), 162],
      ['blinding request', (b) => decodeBlindingRequest(G, b), 97],
      ['blinding request (ed25519)', (b) => decodeBlindingRequest(ED25519, b), 97],
      ['escrow package', decodeEscrowPackage, 400],
      ['released share', decodeReleasedShare, 82],
    ];
    for (const [name, decode, size] of decoders) {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: size + 8 }),
            fc.uint8Array({ minLength: size, maxLength: size }),
          ),
          (bytes) => {
            try {
              decode(bytes);
            } catch (e) {
              expect((e as Error).name, name).toBe('OmegaError');
            }
          },
        ),
        { seed: 701, numRuns: 150 },
      );
    }
  });
});
