/**
 * The worker_threads pool (src/runtime/crypto-pool.ts) is a drop-in for the in-thread service: the
 * same calls give the same bytes, and rejections keep their code and culprits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import type { ThresholdBlsService } from '../../src/crypto/bls/service.js';
import { inThreadBls } from '../../src/crypto/bls/service.js';
import type { ThresholdPublicKey } from '../../src/crypto/bls/threshold.js';
import { thresholdKeyFromCommitments } from '../../src/crypto/bls/threshold.js';
import { toHex, utf8 } from '../../src/crypto/bytes.js';
import { G2 } from '../../src/crypto/group.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { SecretShare } from '../../src/crypto/vss.js';
import { deal } from '../../src/crypto/vss.js';
import { isOmegaError } from '../../src/errors.js';
import { blsBackendPreferenceFromEnv, createBlsPool } from '../../src/runtime/crypto-pool.js';

let pool: ThresholdBlsService;
let local: ThresholdBlsService;
let key: ThresholdPublicKey;
let shares: readonly SecretShare[];

beforeAll(async () => {
  const backend = await loadBlsBackend({ prefer: 'mcl' });
  local = inThreadBls(backend);
  pool = await createBlsPool({ size: 2, prefer: 'mcl' });
  const dealing = deal(G2, { threshold: 1, parties: 4 }, deterministicRandom('pool'));
  shares = dealing.shares;
  key = thresholdKeyFromCommitments(
    backend,
    dealing.commitments.map((c) => G2.encode(c)),
    { threshold: 1, parties: 4 },
  );
});

afterAll(async () => {
  await pool.close();
});

/** Runs one scenario through a service and returns everything it produced, as hex. */
async function scenario(bls: ThresholdBlsService): Promise<unknown> {
  const message = utf8('pool vs in-thread');
  const partials = await Promise.all(shares.map((s) => bls.partialSign(s, message)));
  const verdicts = await Promise.all(
    partials.map((p, k) => bls.verifyPartial(key.publicShares[k]!, message, p)),
  );
  const tampered = [
    partials[0]!,
    { index: partials[1]!.index, signature: partials[2]!.signature },
    partials[3]!,
  ];
  const combined = await bls.combine(key, message, tampered);
  const ok = await bls.verify(key.publicKey, message, combined.signature);
  return {
    partials: partials.map((p) => [p.index, toHex(p.signature)]),
    verdicts,
    combined: {
      signature: toHex(combined.signature),
      signers: combined.signers,
      excluded: combined.excluded,
    },
    ok,
  };
}

describe('crypto pool (worker_threads)', () => {
  it('gives the same bytes as the in-thread service', async () => {
    expect(pool.backendName).toBe('mcl');
    const fromPool = await scenario(pool);
    expect(fromPool).toEqual(await scenario(local));
    expect((fromPool as { combined: { excluded: number[] } }).combined.excluded).toEqual([2]);
  });

  it('rejections keep their code and culprits across the thread boundary', async () => {
    const message = utf8('reject');
    const p1 = await pool.partialSign(shares[0]!, message);
    const bad = { index: shares[1]!.index, signature: p1.signature };
    const error: unknown = await pool.combine(key, message, [p1, bad]).catch((e: unknown) => e);
    expect(isOmegaError(error, 'BAD_PARTIAL')).toBe(true);
    expect((error as { culprits: number[] }).culprits).toEqual([2]);
    const zero: unknown = await pool
      .partialSign({ ...shares[0]!, value: 0n }, message)
      .catch((e: unknown) => e);
    expect(isOmegaError(zero, 'ZERO_SCALAR')).toBe(true);
  });

  it('a closed pool rejects further calls with BACKEND_UNAVAILABLE', async () => {
    const small = await createBlsPool({ size: 1, prefer: 'noble' });
    expect(small.backendName).toBe('noble');
    await small.close();
    const e: unknown = await small
      .verify(key.publicKey, utf8('x'), new Uint8Array(48))
      .catch((x: unknown) => x);
    expect(isOmegaError(e, 'BACKEND_UNAVAILABLE')).toBe(true);
  });

  it('OMEGA_BLS_BACKEND selects the backend when no preference is passed, and a bad value is rejected', async () => {
    const saved = process.env.OMEGA_BLS_BACKEND;
    try {
      process.env.OMEGA_BLS_BACKEND = 'noble';
      const p = await createBlsPool({ size: 1 });
      expect(p.backendName).toBe('noble');
      await p.close();
      process.env.OMEGA_BLS_BACKEND = 'fastest';
      const e: unknown = await createBlsPool({ size: 1 }).catch((x: unknown) => x);
      expect(isOmegaError(e, 'INVALID_ARGUMENT')).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.OMEGA_BLS_BACKEND;
      else process.env.OMEGA_BLS_BACKEND = saved;
    }
  });

  it('blsBackendPreferenceFromEnv reads OMEGA_BLS_BACKEND (unset means auto)', () => {
    expect(blsBackendPreferenceFromEnv({})).toBe('auto');
    expect(blsBackendPreferenceFromEnv({ OMEGA_BLS_BACKEND: 'mcl' })).toBe('mcl');
    expect(() => blsBackendPreferenceFromEnv({ OMEGA_BLS_BACKEND: 'x' })).toThrowError(/INVALID_ARGUMENT/);
  });

  it('an invalid pool size is rejected', async () => {
    const e: unknown = await createBlsPool({ size: 0 }).catch((x: unknown) => x);
    expect(isOmegaError(e, 'OUT_OF_RANGE')).toBe(true);
  });
});
