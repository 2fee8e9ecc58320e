import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/codec.js';
import { toHex } from '../../src/crypto/bytes.js';
import {
  aggregate,
  frostGroupFromCommitments,
  frostSigner,
  NonceBook,
  signShare,
} from '../../src/crypto/frost.js';
import type { NonceCommitment } from '../../src/crypto/frost.js';
import { ED25519 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { deal } from '../../src/crypto/vss.js';
import { encodeSignedAdminAction } from '../../src/core/registry/admin.js';
import { popMessage } from '../../src/core/registry/keys.js';
import {
  decodeLookupAnswer,
  encodeLookupRequest,
  encodeRegisterRequest,
} from '../../src/core/registry/messages.js';
import { REGISTRY_OP_TAGS, registryOperations } from '../../src/core/registry/operations.js';
import { isOmegaError } from '../../src/errors.js';
import { testKey } from './fixtures.js';
import { ADMINS, Harness, signedAction } from './helpers.js';

function op(h: Harness, name: 'register' | 'lookup' | 'revoke' | 'admin') {
  const o = registryOperations(() => h.registry).find((x) => x.tag === REGISTRY_OP_TAGS[`registry.${name}`])!;
  return (body: Uint8Array): Uint8Array => {
    const c = h.ctx();
    return o.handle({ principal: c.principal!, height: c.height, timeMs: c.timeMs }, body);
  };
}

describe('registry operations (the machine-facing handlers)', () => {
  it('admin → register → lookup through encoded bodies and outputs', () => {
    const h = new Harness();
    h.installCa();
    const k = testKey('secp256k1');
    const adminOut = op(
      h,
      'admin',
    )(
      encodeSignedAdminAction(
        signedAction(
          { kind: 'authorize', principal: 'carol', keyType: 'secp256k1', keyDigest: k.info.digest },
          ADMINS.slice(1),
        ),
      ),
    );
    const ar = new Reader(adminOut);
    expect(ar.u8()).toBe(1);
    expect(ar.u64Number()).toBeGreaterThan(0);
    expect(ar.optional((r) => r.fixed(32))).toBeUndefined();
    ar.end();
    const regOut = op(
      h,
      'register',
    )(
      encodeRegisterRequest({
        principal: 'carol',
        spki: k.info.spki,
        proofOfPossession: k.sign!(popMessage(h.registry.caIdentity()!.chainId, 'carol', k.info.digest)),
      }),
    );
    expect(toHex(regOut.subarray(1, 33))).toBe(toHex(k.info.digest));
    const pending = decodeLookupAnswer(
      op(h, 'lookup')(encodeLookupRequest({ principal: 'carol', keyType: 'secp256k1' })),
    );
    expect(pending.status).toBe('pending');
    h.signPending();
    const answer = decodeLookupAnswer(
      op(h, 'lookup')(encodeLookupRequest({ principal: 'carol', keyType: 'secp256k1' })),
    );
    expect(answer.status).toBe('certificate');
  });

  it('malformed bodies are rejected with an OmegaError (trailing bytes, bad principal, unknown key type)', () => {
    const h = new Harness();
    const lookup = op(h, 'lookup');
    const good = encodeLookupRequest({ principal: 'carol', keyType: 'p256' });
    for (const bad of [
      new Uint8Array([...good, 0]),
      good.subarray(0, 3),
      new Uint8Array([0, 0, 0, 1, 0x20, 4]),
      new Uint8Array([...good.subarray(0, good.length - 1), 9]),
    ]) {
      try {
        lookup(bad);
        expect.fail('accepted');
      } catch (e) {
        expect(isOmegaError(e)).toBe(true);
      }
    }
    for (const o of registryOperations(() => h.registry)) expect(o.bodyBytesMax).toBeLessThanOrEqual(65_536);
  });
});

describe('a FROST signer that withholds or corrupts its share is excluded and the certificate is still issued', () => {
  it('aggregate names the culprit; a retry with other signers completes the pending certificate', () => {
    const h = new Harness();
    // The certificate key held by 4 signers (t = 1) — the harness key itself, rebuilt here to misbehave.
    const rng = deterministicRandom('registry/roast');
    const d = deal(ED25519, { threshold: 1, parties: 4 }, rng);
    const group = frostGroupFromCommitments(1, 4, d.commitments);
    const signers = d.shares.map((s) => frostSigner(group, s.index, s.value));
    const books = signers.map((s) => new NonceBook(s.index));
    h.registry.installCertificateKey(h.ctx(), group.publicKey, 365 * 24 * 3600_000);
    const attempt = (
      chosen: number[],
      corrupt: number | undefined,
      withhold: number | undefined,
      tbs: Uint8Array,
    ) => {
      const commitments: NonceCommitment[] = chosen.map(
        (i) => books[i - 1]!.generate(signers[i - 1]!, 1, rng)[0]!,
      );
      const shares = new Map<number, Uint8Array>();
      for (const c of commitments) {
        const share = signShare(
          group,
          signers[c.index - 1]!,
          books[c.index - 1]!.take(c.seq),
          commitments,
          tbs,
        );
        if (c.index === withhold) continue;
        if (c.index === corrupt) share[0]! ^= 1;
        shares.set(c.index, share);
      }
      return aggregate(group, commitments, tbs, shares);
    };
    const [ca] = h.registry.pendingSignatures();
    for (const [corrupt, withhold] of [
      [2, undefined],
      [undefined, 2],
    ] as const) {
      try {
        attempt([1, 2], corrupt, withhold, ca!.tbs);
        expect.fail('aggregated with a bad signer');
      } catch (e) {
        expect(isOmegaError(e, 'BAD_PARTIAL')).toBe(true);
        expect((e as { culprits: number[] }).culprits).toEqual([2]);
      }
    }
    // Retry without signer 2 (ROAST-style exclusion): the CA certificate is issued.
    const der = h.registry.completeSignature(ca!.id, attempt([1, 3], undefined, undefined, ca!.tbs));
    expect(toHex(h.registry.caCertificate()!)).toBe(toHex(der));
  });
});
