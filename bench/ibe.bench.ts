/**
 * IBE encrypt / decrypt / extract per backend, each with its ratio to the curve-operation floor it
 * cannot beat, measured in the same run (issue 3, item 5):
 *
 * - encrypt ≥ one pairing + one G2 scalar multiplication (U = r·g2) + hash-to-G1 (Q_id);
 * - decrypt ≥ one pairing + one G2 scalar multiplication (the FO check U == r·g2);
 * - extract (Lagrange-combine t+1 partials, verify against the master key) ≥ one pairing check
 *   (two Miller loops and one final exponentiation); so are key and partial verification;
 * - a replica's partial identity key ≥ hash-to-G1 + one G1 scalar multiplication;
 * - envelope (KEM/DEM) ≥ the IBE operation + AES-256-GCM over the payload.
 *
 * Only the noble backend exists today; another {@link IbeCurve} is benchmarked by adding it to BACKENDS.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { G2 } from '../src/crypto/group.js';
import type { IbeCurve } from '../src/crypto/ibe/index.js';
import {
  decryptEnvelope,
  encryptEnvelope,
  identityFor,
  makeIbe,
  nobleIbeCurve,
} from '../src/crypto/ibe/index.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { deal, publicShare } from '../src/crypto/vss.js';
import type { Row } from './harness.js';
import { measure, printTable } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const BACKENDS: readonly IbeCurve<any, any, any>[] = [nobleIbeCurve];

async function benchBackend<P1, P2, T>(curve: IbeCurve<P1, P2, T>): Promise<void> {
  const ibe = makeIbe(curve);
  const rng = deterministicRandom('bench/ibe');
  const t = 2;
  const n = 5;
  const dealing = deal(G2, { threshold: t, parties: n }, rng);
  const masterPublicKey = G2.encode(dealing.commitments[0]!);
  const publicShares = new Map(
    dealing.shares.map((sh) => [
      sh.index as number,
      G2.encode(publicShare(G2, dealing.commitments, sh.index)),
    ]),
  );
  const identity = identityFor('bench', 'alice@example.org', '2026-01');
  const partials = dealing.shares.map((sh) => ibe.partialIdentityKey(sh, identity));
  const { identityKey } = ibe.extractIdentityKey({
    masterPublicKey,
    identity,
    threshold: t,
    partials: partials.slice(0, t + 1),
    publicShares,
  });
  const message = rng(32);
  const ct = ibe.encrypt(masterPublicKey, identity, message, rng);

  // Floors, on the same backend's decoded points.
  const mpk = curve.decodeG2(masterPublicKey);
  const key = curve.decodeG1(identityKey);
  const U = curve.decodeG2(ct.U);
  const qid = curve.hashToG1(identity);
  const r = G2.field.random(rng);
  const pairingMs = await measure('pairing', () => curve.pairing(key, U));
  const g2MulMs = await measure('G2 mul', () => curve.mulBaseG2(r));
  const hashMs = await measure('hash-to-G1', () => curve.hashToG1(identity));
  const g1MulMs = await measure('G1 mul', () => curve.mulG1(qid, r));
  const checkMs = await measure('pairing check', () => curve.pairingEqual(key, curve.g2, qid, mpk));
  const sum = (name: string, ...parts: { msPerOp: number }[]) => {
    const msPerOp = parts.reduce((a, p) => a + p.msPerOp, 0);
    return { name, msPerOp, opsPerSec: 1000 / msPerOp, samples: 0 };
  };
  const encFloor = sum('pairing + G2 mul + hash-to-G1', pairingMs, g2MulMs, hashMs);
  const decFloor = sum('pairing + G2 mul', pairingMs, g2MulMs);

  const encrypt = await measure('IBE encrypt (32 B)', () =>
    ibe.encrypt(masterPublicKey, identity, message, rng),
  );
  const decrypt = await measure('IBE decrypt (32 B)', () => ibe.decrypt(identityKey, ct));
  const verify = await measure('verify identity key', () =>
    ibe.verifyIdentityKey(masterPublicKey, identity, identityKey),
  );
  const extract = await measure(`extract (combine ${t + 1} partials + verify)`, () =>
    ibe.extractIdentityKey({
      masterPublicKey,
      identity,
      threshold: t,
      partials: partials.slice(0, t + 1),
      publicShares,
    }),
  );
  const partial = await measure('partial identity key (replica side)', () =>
    ibe.partialIdentityKey(dealing.shares[0]!, identity),
  );
  const partialVerify = await measure('verify one partial', () =>
    ibe.verifyPartialIdentityKey(publicShares.get(1)!, identity, partials[0]!),
  );

  const rows: Row[] = [
    { name: encrypt.name, m: encrypt, floor: encFloor },
    { name: decrypt.name, m: decrypt, floor: decFloor },
    { name: verify.name, m: verify, floor: checkMs },
    { name: extract.name, m: extract, floor: checkMs },
    { name: partial.name, m: partial, floor: sum('hash-to-G1 + G1 mul', hashMs, g1MulMs) },
    { name: partialVerify.name, m: partialVerify, floor: checkMs },
  ];

  // Envelope: the IBE plus AES-256-GCM over the payload.
  for (const size of [1024, 1024 * 1024]) {
    const body = rng(size);
    const aesKey = rng(32);
    const nonce = rng(12);
    const aes = await measure(`AES-256-GCM ${size} B`, () => gcm(aesKey, nonce).encrypt(body));
    const env = encryptEnvelope(masterPublicKey, identity, body, rng, ibe);
    const seal = await measure(`envelope encrypt ${size} B`, () =>
      encryptEnvelope(masterPublicKey, identity, body, rng, ibe),
    );
    const open = await measure(`envelope decrypt ${size} B`, () => decryptEnvelope(identityKey, env, ibe));
    rows.push({ name: seal.name, m: seal, floor: sum('IBE encrypt + AES-GCM', encrypt, aes) });
    rows.push({ name: open.name, m: open, floor: sum('IBE decrypt + AES-GCM', decrypt, aes) });
  }
  printTable(`IBE (tlock layout) — backend ${curve.name}, t=${t}`, rows);
  console.log(
    `\nfloors: pairing ${pairingMs.msPerOp.toFixed(2)} ms, G2 mul ${g2MulMs.msPerOp.toFixed(2)} ms, ` +
      `hash-to-G1 ${hashMs.msPerOp.toFixed(2)} ms, G1 mul ${g1MulMs.msPerOp.toFixed(2)} ms, pairing check ${checkMs.msPerOp.toFixed(2)} ms`,
  );
}

export async function run(): Promise<void> {
  for (const curve of BACKENDS) await benchBackend(curve);
}
