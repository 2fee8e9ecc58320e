/**
 * Canonical encoding of a {@link DkgResult}: the public side of the three service keys, as the runtime
 * stores it in the replicated state or hands it to clients (`client.json`, `omega status`). The decoder
 * is strict and checks that the data is one consistent key per purpose: every element canonical,
 * non-identity and in its prime-order group, the BLS public shares on one polynomial of degree t whose
 * value at 0 is the public key (Lagrange in the exponent), and the FROST public shares equal to the
 * Horner evaluation of the commitments — so a tampered result is refused, never half-trusted.
 *
 * Layout (version 1): u8 1 ‖ u16 t ‖ u16 n ‖ array of u16 QUAL ‖ signing: PK[96] ‖ n × PK_j[96] ‖ ibe: the
 * same ‖ certificate: (t+1) × C_k[32] ‖ n × PK_j[32] (counts as u32, src/codec.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../../codec.js';
import type { BlsBackend } from '../../../crypto/bls/backend.js';
import { BLS_FR } from '../../../crypto/bls/threshold.js';
import type { ThresholdPublicKey } from '../../../crypto/bls/threshold.js';
import { equalBytes, lengthPrefixed, toHex, utf8 } from '../../../crypto/bytes.js';
import { shareIndex } from '../../../crypto/field.js';
import { ED25519 } from '../../../crypto/group.js';
import { canonicalSubset, lagrangeCoefficients } from '../../../crypto/poly.js';
import { publicShare } from '../../../crypto/vss.js';
import { OmegaError } from '../../../errors.js';
import { DKG_LIMITS } from './params.js';
import type { DkgResult } from './session.js';

const RESULT_VERSION = 1;

/** Canonical bytes of a result (see the module comment). */
export function encodeDkgResult(result: DkgResult): Uint8Array {
  const n = result.signing.publicShares.length;
  const w = new Writer(512 + 224 * n)
    .u8(RESULT_VERSION)
    .u16(result.signing.threshold)
    .u16(n)
    .array(result.qual, (ww, i) => ww.u16(i));
  for (const key of [result.signing, result.ibe]) {
    w.fixed(key.publicKey, 96).array(key.publicShares, (ww, p) => ww.fixed(p, 96));
  }
  w.array(result.certificate.commitments, (ww, c) => ww.fixed(c, 32));
  w.array(result.certificate.publicShares, (ww, p) => ww.fixed(p, 32));
  return w.finish();
}

function fail(message: string): never {
  throw new OmegaError('BAD_COMMITMENTS', `DKG result: ${message}`);
}

/** Strict decoder of {@link encodeDkgResult}'s output; see the module comment for every check. */
export function decodeDkgResult(bytes: Uint8Array, backend: BlsBackend): DkgResult {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'DKG result must be bytes');
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== RESULT_VERSION)
    throw new OmegaError('UNSUPPORTED_VERSION', `DKG result version ${version}`);
  const t = r.u16();
  const n = r.u16();
  if (t < 1 || 2 * t + 1 > n || n > DKG_LIMITS.committeeMax) {
    throw new OmegaError('OUT_OF_RANGE', `DKG result: need 1 <= t, 2t+1 <= n <= 255; got t=${t}, n=${n}`);
  }
  const qual = r.array(n, (rr) => rr.u16());
  const bls = (): ThresholdPublicKey => ({
    threshold: t,
    publicKey: r.fixed(96),
    publicShares: r.array(n, (rr) => rr.fixed(96)),
  });
  const signing = bls();
  const ibe = bls();
  const commitments = r.array(t + 1, (rr) => rr.fixed(32));
  const certShares = r.array(n, (rr) => rr.fixed(32));
  r.end();

  if (qual.length < t + 1) fail(`QUAL has ${qual.length} members, need t+1 = ${t + 1}`);
  const sorted = canonicalSubset(qual);
  if (sorted.some((i, k) => i !== qual[k] || i > n)) fail('QUAL is not strictly ascending within 1..n');
  for (const key of [signing, ibe]) checkBlsKey(backend, key, t, n);
  if (commitments.length !== t + 1) fail(`expected t+1 = ${t + 1} certificate commitments`);
  if (certShares.length !== n) fail(`expected n = ${n} certificate public shares`);
  const points = commitments.map((c) => ED25519.decode(c));
  certShares.forEach((p, k) => {
    if (!equalBytes(ED25519.encode(publicShare(ED25519, points, shareIndex(k + 1))), p)) {
      fail(`certificate public share ${k + 1} does not match the commitments`);
    }
  });
  return {
    qual,
    signing,
    ibe,
    certificate: { threshold: t, publicKey: commitments[0]!, commitments, publicShares: certShares },
  };
}

/**
 * The BLS public shares lie on one polynomial of degree t with PK at 0: interpolating the first t+1 in
 * the exponent gives PK and every other PK_j (one multi-scalar multiplication each).
 */
function checkBlsKey(backend: BlsBackend, key: ThresholdPublicKey, t: number, n: number): void {
  if (key.publicShares.length !== n) fail(`expected n = ${n} public shares`);
  backend.validateG2(key.publicKey);
  for (const p of key.publicShares) backend.validateG2(p);
  const base = canonicalSubset(Array.from({ length: t + 1 }, (_, k) => k + 1));
  const basePoints = key.publicShares.slice(0, t + 1);
  const at = (x: number) => backend.g2Lincomb(basePoints, lagrangeCoefficients(BLS_FR, base, BigInt(x)));
  if (!equalBytes(at(0), key.publicKey)) fail('public shares do not interpolate to the public key');
  for (let j = t + 2; j <= n; j++) {
    if (!equalBytes(at(j), key.publicShares[j - 1]!)) fail(`public share ${j} is off the polynomial`);
  }
}

/**
 * A short fingerprint of a service public key for operators (`omega status`, out-of-band distribution):
 * the first 16 bytes of SHA-256 over a purpose tag and the key, as hex in groups of four.
 */
export function serviceKeyFingerprint(
  purpose: 'signing' | 'ibe' | 'certificate',
  publicKey: Uint8Array,
): string {
  const h = toHex(sha256(lengthPrefixed(utf8(`omega/service-key/${purpose}/v1`), publicKey)).subarray(0, 16));
  return h.match(/.{4}/g)!.join(':');
}
