/**
 * Threshold ElGamal and escrow benchmarks (`npm run bench -- elgamal`).
 *
 * Every operation is compared with its curve-operation floor: the raw group multiplications the
 * operation needs, each timed in the same run (ARCHITECTURE.md §6: threshold crypto ≤ 1.3× its floor).
 * Kinds of multiplication, timed separately because their costs differ by ~4×:
 *   mulBase      s·G, constant time (noble's precomputed base table)
 *   mul          s·P, constant time, arbitrary P
 *   mulPubBase   s·G, variable time (public scalars: proof verification)
 *   mulPub       s·P, variable time, arbitrary P
 */
import { utf8 } from '../src/crypto/bytes.js';
import type { DecryptionContext } from '../src/crypto/elgamal/index.js';
import {
  blind,
  ciphertextId,
  ciphertextLabel,
  ciphertextStatement,
  combineAndDecrypt,
  combineReencryptedShares,
  createCiphertextDecryptionShare,
  createReencryptedShare,
  encrypt,
  validateCiphertext,
  verifyBlindingRequest,
  verifyDecryptionShare,
  verifyReencryptedShare,
} from '../src/crypto/elgamal/index.js';
import { createEscrow, verifyEscrowShare } from '../src/crypto/escrow/index.js';
import { shareIndex } from '../src/crypto/field.js';
import type { Group, PointLike, RistrettoPoint } from '../src/crypto/group.js';
import { ED25519, RISTRETTO255 as G } from '../src/crypto/group.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { generateEpochKey } from '../src/crypto/share-encryption.js';
import { deal, publicShare } from '../src/crypto/vss.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Measurement, Row } from './harness.js';
import { measure, printTable } from './harness.js';

interface Floors {
  mulBase: Measurement;
  mul: Measurement;
  mulPubBase: Measurement;
  mulPub: Measurement;
}

async function floorsOf<P extends PointLike<P>>(group: Group<P>, seed: string): Promise<Floors> {
  const rng = deterministicRandom(seed);
  const P0 = group.mulBase(group.field.random(rng));
  const scalars = Array.from({ length: 64 }, () => group.field.random(rng));
  let k = 0;
  const next = () => scalars[k++ % scalars.length]!;
  return {
    mulBase: await measure(`${group.name} mulBase`, () => group.mulBase(next())),
    mul: await measure(`${group.name} mul`, () => group.mul(P0, next())),
    mulPubBase: await measure(`${group.name} mulPubBase`, () => group.mulPublic(group.generator, next())),
    mulPub: await measure(`${group.name} mulPub`, () => group.mulPublic(P0, next())),
  };
}

/** A floor made of counted multiplications: Σ count × measured time. */
function floor(f: Floors, counts: Partial<Record<keyof Floors, number>>): Measurement {
  let ms = 0;
  const parts: string[] = [];
  for (const [kind, count] of Object.entries(counts) as [keyof Floors, number][]) {
    ms += count * f[kind].msPerOp;
    parts.push(`${count}·${kind}`);
  }
  return { name: parts.join(' + '), msPerOp: ms, opsPerSec: 1000 / ms, samples: 0 };
}

export async function run(): Promise<void> {
  const T = 2;
  const N = 7;
  const rng = deterministicRandom('bench/elgamal');
  const f = await floorsOf(G, 'bench/elgamal/floors');
  const dealing = deal(G, { threshold: T, parties: N }, rng);
  const pk = dealing.commitments[0]!;
  const publicShares = new Map<number, RistrettoPoint>();
  for (let i = 1; i <= N; i++) publicShares.set(i, publicShare(G, dealing.commitments, shareIndex(i)));
  const ctx: DecryptionContext = {
    keyId: utf8('service'),
    epoch: 1,
    requestId: utf8('r'),
    requester: utf8('q'),
  };
  const label = ciphertextLabel({ purpose: 'bench', owner: utf8('q') });
  const plaintext = new Uint8Array(32);
  const ct = encrypt(pk, plaintext, label, rng);
  const params = (i: number) => ({
    index: i,
    secretShare: dealing.shares[i - 1]!.value,
    publicShare: publicShares.get(i)!,
  });
  const shares = [1, 2, 3].map((i) => createCiphertextDecryptionShare(pk, ct, params(i), ctx, rng));
  const st = ciphertextStatement(ct, ctx);
  const t = G.field.random(rng);
  const rst = { base: ct.R, transportKey: G.mulBase(t), ctx, target: ciphertextId(ct) };
  const rshares = [1, 2, 3].map((i) => createReencryptedShare(G, params(i), rst, rng));
  const blindReq = blind(G, ct.R, ctx, ciphertextId(ct), rng).request;

  const rows: Row[] = [
    {
      name: 'TDH2 encrypt (32-byte payload)',
      m: await measure('encrypt', () => encrypt(pk, plaintext, label, rng)),
      floor: floor(f, { mulBase: 2, mul: 3 }),
      target: 1.3,
    },
    {
      name: 'validate ciphertext (TDH2 proof)',
      m: await measure('validate', () => validateCiphertext(pk, ct)),
      floor: floor(f, { mulPubBase: 2, mulPub: 2 }),
      target: 1.3,
    },
    {
      name: 'decryption share (validate + D_i + DLEQ)',
      m: await measure('share', () => createCiphertextDecryptionShare(pk, ct, params(4), ctx, rng)),
      floor: floor(f, { mulPubBase: 2, mulPub: 2, mulBase: 1, mul: 2 }),
      target: 1.3,
    },
    {
      name: 'verify one decryption share',
      m: await measure('verify share', () => verifyDecryptionShare(G, publicShares.get(1)!, shares[0]!, st)),
      floor: floor(f, { mulPubBase: 1, mulPub: 3 }),
      target: 1.3,
    },
    {
      name: `combine t+1=${T + 1} shares + decrypt (validate, verify all, interpolate)`,
      m: await measure('combine', () =>
        combineAndDecrypt(pk, ct, { threshold: T, publicShares, shares }, ctx),
      ),
      floor: floor(f, { mulPubBase: 2 + (T + 1), mulPub: 2 + 3 * (T + 1) + (T + 1) }),
      target: 1.3,
    },
    {
      name: 'blinding request (client)',
      m: await measure('blind', () => blind(G, ct.R, ctx, ciphertextId(ct), rng)),
      floor: floor(f, { mulBase: 2 }),
      target: 1.3,
    },
    {
      name: 'verify blinding request (replica)',
      m: await measure('verify blind', () => verifyBlindingRequest(G, ct.R, blindReq, ctx, ciphertextId(ct))),
      floor: floor(f, { mulPubBase: 1, mulPub: 1 }),
      target: 1.3,
    },
    {
      name: 're-encrypted share (D′_i, P_i, Σ-proof)',
      m: await measure('reenc share', () => createReencryptedShare(G, params(4), rst, rng)),
      floor: floor(f, { mulBase: 3, mul: 4 }),
      target: 1.3,
    },
    {
      name: 'verify one re-encrypted share',
      m: await measure('verify reenc', () =>
        verifyReencryptedShare(G, publicShares.get(1)!, rshares[0]!, rst),
      ),
      floor: floor(f, { mulPubBase: 2, mulPub: 5 }),
      target: 1.3,
    },
    {
      name: `combine t+1=${T + 1} re-encrypted shares`,
      m: await measure('combine reenc', () =>
        combineReencryptedShares(G, { threshold: T, publicShares, shares: rshares }, rst),
      ),
      floor: floor(f, { mulPubBase: 2 * (T + 1), mulPub: 5 * (T + 1) + 2 * (T + 1) }),
      target: 1.3,
    },
  ];
  printTable(`Threshold ElGamal on ristretto255 (t=${T}, n=${N})`, [
    { name: 'floor: mulBase', m: f.mulBase },
    { name: 'floor: mul', m: f.mul },
    { name: 'floor: mulPubBase', m: f.mulPubBase },
    { name: 'floor: mulPub', m: f.mulPub },
    ...rows,
  ]);

  // Escrow of an Ed25519 key, n = 4, t = 1 (the paper's configuration: Omega §7, t = 1, n = 4).
  const fe = await floorsOf(ED25519, 'bench/escrow/floors');
  const replicas = [1, 2, 3, 4].map((index) => ({ index, ...generateEpochKey(rng) }));
  const seed = rng(32);
  const request = {
    keyType: 'ed25519' as const,
    privateKey: seed,
    registeredPublicKey: ed25519.getPublicKey(seed),
    escrowId: utf8('bench'),
    owner: utf8('alice'),
    epoch: 1,
    threshold: 1,
    recipients: replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })),
  };
  const pkg = createEscrow(request, rng);
  // Escrow floors mix the two groups: ed25519 for the key, ristretto255 for share encryption.
  const escrowCreateFloor: Measurement = {
    name: 'ed: 4·mulBase; rist: 1·mulBase + 4·mul',
    msPerOp: 4 * fe.mulBase.msPerOp + f.mulBase.msPerOp + 4 * f.mul.msPerOp,
    opsPerSec: 0,
    samples: 0,
  };
  // decode 2 commitments (a torsion check each ≈ 1 mulPub), Schnorr (1 mulPubBase + 1 mulPub),
  // Feldman check (1 mulBase + 1 small-scalar mulPub), decryption (1 rist mul).
  const escrowVerifyFloor: Measurement = {
    name: 'ed: 4·mulPub + 1·mulPubBase + 1·mulBase; rist: 1·mul',
    msPerOp: 4 * fe.mulPub.msPerOp + fe.mulPubBase.msPerOp + fe.mulBase.msPerOp + f.mul.msPerOp,
    opsPerSec: 0,
    samples: 0,
  };
  printTable('Escrow of an Ed25519 key (t=1, n=4)', [
    { name: 'floor: ed25519 mulBase', m: fe.mulBase },
    { name: 'floor: ed25519 mulPub', m: fe.mulPub },
    {
      name: 'createEscrow (client)',
      m: await measure('escrow', () => createEscrow(request, rng)),
      floor: escrowCreateFloor,
      target: 1.3,
    },
    {
      name: 'verifyEscrowShare (one replica)',
      m: await measure('escrow verify', () =>
        verifyEscrowShare(pkg, request.registeredPublicKey, replicas[0]!, rng),
      ),
      floor: escrowVerifyFloor,
      target: 1.3,
    },
  ]);
}
