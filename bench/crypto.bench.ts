/**
 * Threshold-crypto core benchmarks (issue 2): FROST(Ed25519) share signing and aggregation, Feldman VSS
 * share verification single and batched — each next to the raw curve operations it cannot avoid,
 * measured in the same run.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { utf8 } from '../src/crypto/bytes.js';
import { shareIndex } from '../src/crypto/field.js';
import type { NonceCommitment } from '../src/crypto/frost.js';
import {
  aggregate,
  frostGroupFromCommitments,
  frostSigner,
  NonceBook,
  signShare,
} from '../src/crypto/frost.js';
import { ED25519, RISTRETTO255 } from '../src/crypto/group.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { batchVerifyShares, deal, publicShare, verifyShare } from '../src/crypto/vss.js';
import { measure, printTable } from './harness.js';

export async function run(): Promise<void> {
  const rng = deterministicRandom('bench/crypto');

  // ── FROST, t = 1 of n = 4 (2 signers), the 4-replica cluster's shape, and t = 2 of n = 7 ──────────
  const frostRows = [];
  for (const [t, n] of [
    [1, 4],
    [2, 7],
  ] as const) {
    const d = deal(ED25519, { threshold: t, parties: n }, rng);
    const group = frostGroupFromCommitments(t, n, d.commitments);
    const signers = d.shares.map((s) => frostSigner(group, s.index, s.value));
    const chosen = signers.slice(0, t + 1);
    const message = utf8('a 200-byte TBSCertificate'.padEnd(200, '.'));
    const books = chosen.map((s) => new NonceBook(s.index));
    const pool = chosen.map((s, k) => books[k]!.generate(s, 1000, rng));
    let seq = 0;
    const commitmentsFor = (q: number): NonceCommitment[] => pool.map((cs) => cs[q]!);
    const fixedCommitments = commitmentsFor(0);
    const fixedShares = new Map(
      chosen.map((s, k) => [
        s.index as number,
        signShare(group, s, books[k]!.take(0), fixedCommitments, message),
      ]),
    );
    seq = 1;
    const sign = await measure(
      `FROST sign share (t=${t}, n=${n})`,
      () => {
        const q = seq++;
        return signShare(group, chosen[0]!, books[0]!.take(q), commitmentsFor(q), message);
      },
      { minTimeMs: 800 },
    );
    // Floor of a share (RFC 9591 §5.2 with §3.1 DeserializeElement): decode and subgroup-check the group
    // key and the 2(t+1) commitments, then the group commitment Σ(D_i + ρ_i·E_i) with t+1 variable-base
    // multiplications.
    const P = ED25519.mulBase(ED25519.field.random(rng));
    const s = ED25519.field.random(rng);
    const mulFloor = await measure(`${2 * (t + 1) + 1}× subgroup check + ${t + 1}× mul`, () => {
      for (let k = 0; k < 2 * (t + 1) + 1; k++) P.isTorsionFree();
      for (let k = 0; k <= t; k++) P.multiplyUnsafe(s);
    });
    const agg = await measure(`FROST aggregate + verify (t=${t}, n=${n})`, () =>
      aggregate(group, fixedCommitments, message, fixedShares),
    );
    // Floor of aggregation: verify t+1 shares (z_i·B = R_i + c·λ_i·PK_i: one base mul and one variable-base
    // mul each, after decoding with subgroup checks) and the final signature (RFC 8032 verify).
    const sig = ed25519.sign(message, ed25519.utils.randomSecretKey(rng(32)));
    const pub = ed25519.getPublicKey(ed25519.utils.randomSecretKey(new Uint8Array(32).fill(1)));
    const verifyFloor = await measure(`ed25519 verify + ${t + 1}× (check + 2 mul)`, () => {
      ed25519.verify(sig, message, pub);
      for (let k = 0; k <= t; k++) {
        P.isTorsionFree();
        P.multiplyUnsafe(s);
        ED25519.mulBase(s);
      }
    });
    frostRows.push({ name: sign.name, m: sign, floor: mulFloor, target: 1.3 });
    frostRows.push({ name: agg.name, m: agg, floor: verifyFloor });
  }
  printTable('FROST(Ed25519, SHA-512) over @noble/curves', frostRows);

  // ── Feldman VSS share verification, single and batched (ristretto255, t = 2 of n = 7) ────────────
  const t = 2;
  const n = 7;
  const dealings = Array.from({ length: n }, () => deal(RISTRETTO255, { threshold: t, parties: n }, rng));
  const mine = shareIndex(3);
  const checks = dealings.map((dd, k) => ({
    commitments: dd.commitments,
    share: dd.shares[mine - 1]!,
    sender: k + 1,
  }));
  const single = await measure('VSS verify one share (t=2)', () =>
    verifyShare(RISTRETTO255, dealings[0]!.commitments, dealings[0]!.shares[mine - 1]!),
  );
  const x = RISTRETTO255.field.random(rng);
  const baseMul = await measure('ristretto255 base mul', () => RISTRETTO255.mulBase(x));
  const batched = await measure(`VSS batch verify ${n} shares (t=2)`, () =>
    batchVerifyShares(RISTRETTO255, checks, rng),
  );
  const perShareBatched = {
    ...batched,
    name: 'per share, batched',
    msPerOp: batched.msPerOp / n,
    opsPerSec: batched.opsPerSec * n,
  };
  const pk = await measure('public share by Horner (t=2)', () =>
    publicShare(RISTRETTO255, dealings[0]!.commitments, mine),
  );
  printTable('Feldman VSS (ristretto255)', [
    { name: single.name, m: single, floor: baseMul },
    { name: pk.name, m: pk, floor: baseMul },
    { name: batched.name, m: batched, floor: single },
    { name: perShareBatched.name, m: perShareBatched, floor: single },
  ]);
}
