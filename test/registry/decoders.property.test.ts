/**
 * Every registry decoder, fed random and mutated input, either decodes or throws an OmegaError with a
 * stable code — never another exception, never garbage (fuzzing; fixed seed, printed by fast-check on a
 * failure).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSignedAdminAction, encodeSignedAdminAction } from '../../src/core/registry/admin.js';
import { decodeAuditEntry } from '../../src/core/registry/audit.js';
import { KEY_TYPES, parsePublicKey } from '../../src/core/registry/keys.js';
import {
  publicKeyFromJwk,
  publicKeyToJwk,
  publicKeyToPem,
  readPublicKeyFile,
} from '../../src/core/registry/keyfile.js';
import {
  decodeLookupAnswer,
  decodeLookupRequest,
  decodeRegisterRequest,
  decodeRevokeRequest,
  encodeLookupAnswer,
  encodeLookupRequest,
  encodeRegisterRequest,
  encodeRevokeRequest,
} from '../../src/core/registry/messages.js';
import { isOmegaError } from '../../src/errors.js';
import { testKey } from './fixtures.js';
import { ADMINS, Harness, signedAction } from './helpers.js';

const SEED = 0x7e915;

function omegaOrOk(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isOmegaError(e)) throw e;
  }
}

const keys = KEY_TYPES.filter((t) => t !== 'rsa').map((t) => testKey(t).info);
const h = new Harness();
h.authorize('alice', 'ed25519');
const samples: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
  ['spki', keys[0]!.spki, parsePublicKey],
  ['spki p256', keys[3]!.spki, parsePublicKey],
  [
    'register',
    encodeRegisterRequest({ principal: 'alice', spki: keys[0]!.spki, proofOfPossession: new Uint8Array(64) }),
    decodeRegisterRequest,
  ],
  ['lookup', encodeLookupRequest({ principal: 'alice', keyType: 'p256' }), decodeLookupRequest],
  [
    'revoke',
    encodeRevokeRequest({
      principal: 'alice',
      keyDigest: keys[0]!.digest,
      reason: 1,
      signerDigest: keys[0]!.digest,
      signature: new Uint8Array(64),
    }),
    decodeRevokeRequest,
  ],
  [
    'admin',
    encodeSignedAdminAction(
      signedAction({ kind: 'add-admin', publicKey: ADMINS[2]!.publicKey }, ADMINS.slice(0, 2)),
    ),
    decodeSignedAdminAction,
  ],
  [
    'lookup answer',
    encodeLookupAnswer({
      status: 'pending',
      principal: 'alice',
      keyType: 'ed25519',
      keyDigest: keys[0]!.digest,
      signingId: new Uint8Array(32),
    }),
    decodeLookupAnswer,
  ],
  ['audit entry', h.registry.auditEntries()[0]!, decodeAuditEntry],
];

describe('registry decoders never crash (fuzz)', () => {
  it.each(samples)(
    '%s: random bytes and mutations of a valid encoding give a value or an OmegaError',
    (_name, valid, decode) => {
      decode(valid); // the sample itself decodes
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc
              .record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), cut: fc.nat() })
              .map(({ at, xor, cut }) => {
                const b = valid.slice(0, valid.length - (cut % 4 === 0 ? cut % valid.length : 0));
                if (b.length > 0) b[at % b.length]! ^= xor;
                return b;
              }),
          ),
          (bytes) => omegaOrOk(() => decode(bytes)),
        ),
        { seed: SEED, numRuns: 300 },
      );
    },
  );

  it('key files: random text and mutated PEM/JWK give a key or an OmegaError', () => {
    const pem = publicKeyToPem(keys[0]!);
    const jwk = JSON.stringify(publicKeyToJwk(keys[3]!));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc
            .record({ at: fc.nat(), c: fc.string({ minLength: 1, maxLength: 1 }), which: fc.boolean() })
            .map(({ at, c, which }) => {
              const t = which ? pem : jwk;
              const i = at % t.length;
              return t.slice(0, i) + c + t.slice(i + 1);
            }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          omegaOrOk(() => readPublicKeyFile(text));
          omegaOrOk(() => publicKeyFromJwk(text));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    expect(readPublicKeyFile(pem).type).toBe('ed25519');
  });
});
