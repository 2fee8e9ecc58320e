/**
 * The replica's FROST driver (src/runtime/replica/frost-driver.ts) when its nonce book disagrees with
 * the commitment the desk chose: found by the registry chaos run (docs/reliability.md, seed t1) — a
 * store restored from a backup older than commitments the replica had already posted made `signShare`
 * refuse (RFC 9591 §5.2: the nonce must match the published commitment), and the exception halted the
 * whole replica. The driver must sit that attempt out, post no share, and keep running.
 */
import { expect, it } from 'vitest';
import { shareIndex } from '../../src/crypto/field.js';
import {
  NonceBook,
  encodeNonceBook,
  frostGroupFromCommitments,
  frostSigner,
  type NonceCommitment,
} from '../../src/crypto/frost.js';
import { ED25519 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { toHex } from '../../src/crypto/bytes.js';
import type { ServiceKeysModule } from '../../src/core/service-keys/module.js';
import type { FrostJob } from '../../src/core/signing/frost-desk.js';
import { FrostDriver } from '../../src/runtime/replica/frost-driver.js';
import type { OwnRequests } from '../../src/runtime/replica/own-requests.js';

it('a nonce that does not match the chosen commitment (restored store) skips the attempt instead of halting', () => {
  // A 2-of-3 FROST key from a known polynomial f(x) = a0 + a1·x: share i = f(i), commitments a_k·B.
  const [a0, a1] = [123456789n, 987654321n];
  const commitments = [a0, a1].map((a) => ED25519.encode(ED25519.mulBase(a)));
  const publicShares = [1n, 2n, 3n].map((i) => ED25519.encode(ED25519.mulBase(a0 + a1 * i)));
  const sessionId = new Uint8Array(32).fill(7);
  const result = { certificate: { threshold: 1, publicKey: commitments[0]!, commitments, publicShares } };
  const group = frostGroupFromCommitments(
    1,
    3,
    commitments.map((c) => ED25519.decode(c)),
  );
  const me = 1;
  const signer = frostSigner(group, me, a0 + a1 * 1n);

  // The restored book holds a nonce under seq 0 — but not the one whose commitment was posted.
  const restored = new NonceBook(signer.index);
  restored.generate(signer, 1, deterministicRandom('restored'));
  const posted: NonceCommitment = new NonceBook(signer.index).generate(
    signer,
    1,
    deterministicRandom('lost'),
  )[0]!;
  const other = frostSigner(group, 2, a0 + a1 * 2n);
  const theirs = new NonceBook(other.index).generate(other, 1, deterministicRandom('peer'))[0]!;
  const secrets = new Map([[`frost/${toHex(sessionId)}/nonces`, encodeNonceBook(restored)]]);

  const job = {
    id: 1,
    attempt: 1,
    purpose: 'test',
    message: new Uint8Array([1, 2, 3]),
    state: 'signing',
    signers: [shareIndex(1), shareIndex(2)],
    commitments: [
      { ...posted, index: 1 },
      { ...theirs, index: 2 },
    ],
    sharesFrom: [],
    excluded: [],
    culprits: [],
    signature: undefined,
  } as unknown as FrostJob;
  const module = {
    desk: { openJobs: () => [job], queued: () => 100, lastSequence: () => 0 },
    keys: () => ({ sessionId, result }),
  } as unknown as ServiceKeysModule;
  const postedBodies: string[] = [];
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  const driver = new FrostDriver({
    index: me,
    storage: {
      getSecret: (name: string) => secrets.get(name),
      putSecret: (name: string, value: Uint8Array) => void secrets.set(name, value),
    },
    module: () => module,
    shares: () => ({ index: me, signing: 1n, ibe: 1n, certificate: a0 + a1 * 1n }),
    own: { post: (key: string) => void postedBodies.push(key), prune: () => {} } as unknown as OwnRequests,
    random: deterministicRandom('driver'),
    log: { info() {}, warn: (message, fields) => void warnings.push({ message, fields }) },
  });

  expect(() => driver.step()).not.toThrow();
  expect(postedBodies.filter((k) => k.startsWith('frost/share/'))).toEqual([]);
  expect(warnings.map((w) => w.message)).toEqual([
    'FROST share refused; this attempt will time out without us',
  ]);
  // The nonce is spent (persisted as used): a second step does not try it again with anything else.
  expect(() => driver.step()).not.toThrow();
  expect(warnings[1]?.fields?.code).toBe('NONCE_REUSED');
});
