/**
 * Boneh–Franklin identity-based encryption with the Fujisaki–Okamoto transform (Boneh & Franklin,
 * "Identity-Based Encryption from the Weil Pairing", SIAM J. Comput. 2003, §4.2 "FullIdent"), byte for
 * byte as drand tlock encrypts to quicknet: kyber `encrypt/ibe/ibe.go` `EncryptCCAonG2` /
 * `DecryptCCAonG2`, tlock-js `encryptOnG2RFC9380` / `decryptOnG2` (research/modern-systems.md §2a).
 *
 *   Q_id = H1(ID) ∈ G1, σ ← random (|σ| = |M| ≤ 32), r = H3(σ, M),
 *   U = r·g2,  V = σ ⊕ H2(e(Q_id, mpk)^r),  W = M ⊕ H4(σ).
 *
 * Decryption recomputes σ = V ⊕ H2(e(d_id, U)), M = W ⊕ H4(σ), r = H3(σ, M) and accepts only if
 * U == r·g2 — the FO check that makes the scheme CCA-secure; without it ciphertexts are malleable
 * (research/protocol-design.md §6.3).
 *
 * The identity key d_id = s·Q_id is a min-sig BLS signature on ID. Threshold extraction: replica i
 * holds s_i = f(i) and returns the partial σ_i = s_i·Q_id (a BLS partial signature), which anyone checks
 * against the replica's public share PK_i = s_i·g2 with e(σ_i, g2) == e(Q_id, PK_i); t+1 of them
 * combine by Lagrange interpolation in the exponent to d_id (research/protocol-design.md §4.2, §6).
 *
 * Key separation: because d_id is a BLS signature under the quicknet DST, a master key used for IBE must
 * never also sign arbitrary messages with that DST — a signing oracle is a decryption oracle
 * (research/protocol-design.md §4.3, §6.3). Omega deals a separate IBE master key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { OmegaError, invariant } from '../../errors.js';
import { bytesToBigintBE, concatBytes, utf8 } from '../bytes.js';
import type { ShareIndex } from '../field.js';
import { makeScalarField } from '../field.js';
import { canonicalSubset, lagrangeCoefficients } from '../poly.js';
import type { RandomSource } from '../rand.js';
import type { IbeCurve } from './curve.js';
import { G1_BYTES, G2_BYTES } from './curve.js';

/** Largest plaintext of one IBE ciphertext: the SHA-256 output that masks it (kyber `EncryptCCAonG2`). */
export const IBE_MAX_MESSAGE_BYTES = 32;
/**
 * Smallest plaintext Omega encrypts. tlock draws σ with |σ| = |M|, and M = W ⊕ H4(σ): trying every σ
 * and comparing H3(σ, M)·g2 with the public U opens an n-byte message in 2^(8n) trials without any key
 * (256 for one byte; test/crypto/ibe-tlock.test.ts does it). 16 bytes keep that at 2^128 (tlock itself
 * only encrypts 16-byte age file keys; the envelope uses 32-byte data keys). Decryption still accepts
 * any tlock ciphertext of 1..32 bytes.
 */
export const IBE_MIN_MESSAGE_BYTES = 16;
/** Largest identity Omega hashes (Scribe identities are far shorter; quicknet's are 32 bytes). */
export const IBE_MAX_IDENTITY_BYTES = 1024;

const H2_TAG = utf8('IBE-H2');
const H3_TAG = utf8('IBE-H3');
const H4_TAG = utf8('IBE-H4');
/** kyber h3 tries the counters 1..65534 (`for i := uint16(1); i < 65535; i++`). */
const H3_MAX_COUNTER = 65534;

/**
 * A ciphertext in tlock's layout: U is a compressed G2 point (96 B), V and W have the plaintext's
 * length. The same shape as tlock-js's `Ciphertext`, so one can be handed to the other unchanged.
 */
export interface IbeCiphertext {
  readonly U: Uint8Array;
  readonly V: Uint8Array;
  readonly W: Uint8Array;
}

/** A partial identity key σ_i = s_i·H1(ID) from the replica holding share index `index`. */
export interface PartialIdentityKey {
  readonly index: number;
  /** Compressed G1 point, 48 bytes. */
  readonly key: Uint8Array;
}

/** Inputs of {@link Ibe.extractIdentityKey}. */
export interface ExtractRequest {
  /** The master public key s·g2 (96 bytes). */
  readonly masterPublicKey: Uint8Array;
  readonly identity: Uint8Array;
  /** The sharing threshold t: t+1 partials are needed. */
  readonly threshold: number;
  readonly partials: readonly PartialIdentityKey[];
  /** Public share PK_i = s_i·g2 (96 bytes) of every replica, by share index. */
  readonly publicShares: ReadonlyMap<number, Uint8Array>;
}

/** The result of a successful extraction. */
export interface ExtractResult {
  /** d_id (48 bytes), verified against the master public key. */
  readonly identityKey: Uint8Array;
  /** The canonical subset of share indices whose partials were combined. */
  readonly subset: readonly ShareIndex[];
  /** Senders whose partials were malformed or failed verification (ascending). */
  readonly culprits: readonly number[];
}

/** Boneh–Franklin IBE (tlock layout) over byte encodings, bound to one pairing backend. */
export interface Ibe {
  /** The backend's name (for benchmarks and diagnostics). */
  readonly curve: string;
  /**
   * Encrypts `message` (16..32 bytes, see {@link IBE_MIN_MESSAGE_BYTES}) to `identity` under the master public key (96-byte G2).
   * `rng` supplies σ; it must be a CSPRNG outside tests.
   *
   * @example
   * const ct = ibe.encrypt(mpk, identityFor('mail', 'alice@example.org', '2026-01'), dataKey, rng);
   */
  encrypt(
    masterPublicKey: Uint8Array,
    identity: Uint8Array,
    message: Uint8Array,
    rng: RandomSource,
  ): IbeCiphertext;
  /**
   * Decrypts with the identity key (48-byte G1). Throws DECRYPTION_FAILED if the FO check fails (wrong
   * key, tampered ciphertext), and a decoding code (INVALID_LENGTH, NOT_ON_CURVE, WRONG_SUBGROUP,
   * IDENTITY_POINT, ...) if an input is malformed.
   */
  decrypt(identityKey: Uint8Array, ciphertext: IbeCiphertext): Uint8Array;
  /**
   * True iff e(d_id, g2) == e(H1(identity), mpk). Both keys are decoded strictly first: a malformed key
   * throws its decoding code rather than returning false.
   */
  verifyIdentityKey(masterPublicKey: Uint8Array, identity: Uint8Array, identityKey: Uint8Array): boolean;
  /** The replica side of extraction: σ_i = s_i·H1(identity) for the secret share (index, s_i). */
  partialIdentityKey(
    share: { readonly index: ShareIndex; readonly value: bigint },
    identity: Uint8Array,
  ): PartialIdentityKey;
  /** True iff e(σ_i, g2) == e(H1(identity), PK_i); malformed inputs throw their decoding code. */
  verifyPartialIdentityKey(
    publicShare: Uint8Array,
    identity: Uint8Array,
    partial: PartialIdentityKey,
  ): boolean;
  /**
   * Combines t+1 partials (Lagrange over a canonical subset, interpolated at 0) and verifies the result
   * against the master public key. Optimistic: when the combination verifies, no partial is checked on
   * its own; otherwise every partial is checked against its public share, bad ones are named, and the
   * key is combined from t+1 good ones if there are enough.
   *
   * Throws NOT_ENOUGH_SHARES (fewer than t+1 partials), INVALID_ARGUMENT (duplicate index, or public
   * shares inconsistent with the master key), BAD_PARTIAL with `culprits` (fewer than t+1 good ones).
   */
  extractIdentityKey(request: ExtractRequest): ExtractResult;
  /** U ‖ V ‖ W: the body of tlock's age stanza. */
  encodeCiphertext(ciphertext: IbeCiphertext): Uint8Array;
  /** Strict inverse of {@link Ibe.encodeCiphertext}: 96 + 2n bytes with 1 <= n <= 32, U a valid G2 point. */
  decodeCiphertext(bytes: Uint8Array): IbeCiphertext;
}

/** H2(g) = SHA-256("IBE-H2" ‖ bytes(g))[0:len] (kyber `gtToHash`). */
function h2(gtBytes: Uint8Array, length: number): Uint8Array {
  return sha256(concatBytes(H2_TAG, gtBytes)).slice(0, length);
}

/**
 * H3(σ, M) → scalar in [0, r) (kyber `h3`): h = SHA-256("IBE-H3" ‖ σ ‖ M); for i = 1, 2, ...: c =
 * SHA-256(LE16(i) ‖ h) with the top bit of c[0] cleared (r has 255 bits), read big-endian; the first
 * c < r is the result. Returns undefined if no counter works (probability < 2^-65000).
 */
function h3(sigma: Uint8Array, message: Uint8Array, order: bigint): bigint | undefined {
  const h = sha256(concatBytes(H3_TAG, sigma, message));
  const block = new Uint8Array(2 + h.length);
  block.set(h, 2);
  for (let i = 1; i <= H3_MAX_COUNTER; i++) {
    block[0] = i & 0xff;
    block[1] = i >>> 8;
    const c = sha256(block);
    c[0] = c[0]! >>> 1;
    const n = bytesToBigintBE(c);
    if (n < order) return n;
  }
  return undefined;
}

/** H4(σ) = SHA-256("IBE-H4" ‖ σ)[0:len]. */
function h4(sigma: Uint8Array, length: number): Uint8Array {
  return sha256(concatBytes(H4_TAG, sigma)).slice(0, length);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  invariant(a.length === b.length, 'xor operands have equal length');
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function checkIdentity(identity: Uint8Array): void {
  if (!(identity instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'identity: expected bytes');
  if (identity.length === 0) throw new OmegaError('INVALID_LENGTH', 'identity must not be empty');
  if (identity.length > IBE_MAX_IDENTITY_BYTES) {
    throw new OmegaError(
      'LIMIT_EXCEEDED',
      `identity of ${identity.length} bytes exceeds ${IBE_MAX_IDENTITY_BYTES}`,
    );
  }
}

function checkMessageLength(length: number, what: string): void {
  if (length === 0) throw new OmegaError('INVALID_LENGTH', `${what} must not be empty`);
  if (length > IBE_MAX_MESSAGE_BYTES) {
    throw new OmegaError(
      'LIMIT_EXCEEDED',
      `${what} of ${length} bytes exceeds the IBE limit of ${IBE_MAX_MESSAGE_BYTES}; use the envelope`,
    );
  }
}

function checkCiphertextShape(ct: IbeCiphertext): void {
  if (
    typeof ct !== 'object' ||
    ct === null ||
    !(ct.U instanceof Uint8Array) ||
    !(ct.V instanceof Uint8Array) ||
    !(ct.W instanceof Uint8Array)
  ) {
    throw new OmegaError('INVALID_ENCODING', 'IBE ciphertext must be { U, V, W } byte arrays');
  }
  if (ct.U.length !== G2_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `IBE ciphertext U must be ${G2_BYTES} bytes, got ${ct.U.length}`);
  }
  if (ct.V.length !== ct.W.length) {
    throw new OmegaError('INVALID_LENGTH', 'IBE ciphertext V and W must have the same length');
  }
  checkMessageLength(ct.W.length, 'IBE ciphertext payload');
}

/**
 * Builds the IBE over a pairing backend. Omega's default instance is `ibe` in `./index.ts` (noble); a
 * faster backend only needs to implement {@link IbeCurve}.
 */
export function makeIbe<P1, P2, T>(curve: IbeCurve<P1, P2, T>): Ibe {
  const field = makeScalarField(curve.order, 32, 'be');

  const combine = (partials: readonly { index: ShareIndex; point: P1 }[]): P1 => {
    const lambdas = lagrangeCoefficients(
      field,
      partials.map((p) => p.index),
    );
    return curve.msmG1(
      partials.map((p) => p.point),
      lambdas,
    );
  };

  const ibe: Ibe = {
    curve: curve.name,

    encrypt(masterPublicKey, identity, message, rng) {
      checkIdentity(identity);
      if (!(message instanceof Uint8Array))
        throw new OmegaError('INVALID_ENCODING', 'message: expected bytes');
      checkMessageLength(message.length, 'message');
      if (message.length < IBE_MIN_MESSAGE_BYTES) {
        throw new OmegaError(
          'INVALID_LENGTH',
          `message of ${message.length} bytes is below ${IBE_MIN_MESSAGE_BYTES}: σ would be as short and could be searched from U`,
        );
      }
      const mpk = curve.decodeG2(masterPublicKey);
      const qid = curve.hashToG1(identity);
      const sigma = rng(message.length);
      invariant(sigma.length === message.length, 'random source returned the requested length');
      const r = h3(sigma, message, curve.order);
      // r = 0 or no counter found both have probability ~2^-255 or less; stop rather than emit a
      // ciphertext that decrypts to nothing.
      invariant(r !== undefined && r !== 0n, 'H3 produced a non-zero scalar');
      const U = curve.mulBaseG2(r);
      // e(Q_id, mpk)^r computed as e(r·Q_id, mpk): a G1 multiplication is cheaper than a GT
      // exponentiation, and bilinearity makes the two equal.
      const gidR = curve.pairing(curve.mulG1(qid, r), mpk);
      const V = xor(sigma, h2(curve.gtToBytes(gidR), message.length));
      const W = xor(message, h4(sigma, message.length));
      return { U: curve.encodeG2(U), V, W };
    },

    decrypt(identityKey, ciphertext) {
      checkCiphertextShape(ciphertext);
      const key = curve.decodeG1(identityKey);
      const U = curve.decodeG2(ciphertext.U);
      const length = ciphertext.W.length;
      const sigma = xor(ciphertext.V, h2(curve.gtToBytes(curve.pairing(key, U)), length));
      const message = xor(ciphertext.W, h4(sigma, length));
      const r = h3(sigma, message, curve.order);
      // The Fujisaki–Okamoto check: U must be the commitment to exactly this (σ, M).
      if (r === undefined || r === 0n || !curve.equalG2(curve.mulBaseG2(r), U)) {
        throw new OmegaError(
          'DECRYPTION_FAILED',
          'IBE ciphertext failed the FO check (wrong identity key or tampered ciphertext)',
        );
      }
      return message;
    },

    verifyIdentityKey(masterPublicKey, identity, identityKey) {
      checkIdentity(identity);
      const mpk = curve.decodeG2(masterPublicKey);
      const key = curve.decodeG1(identityKey);
      return curve.pairingEqual(key, curve.g2, curve.hashToG1(identity), mpk);
    },

    partialIdentityKey(share, identity) {
      checkIdentity(identity);
      if (!field.isValid(share.value) || share.value === 0n) {
        throw new OmegaError('OUT_OF_RANGE', 'key share must be a non-zero reduced scalar');
      }
      const index = canonicalSubset([share.index])[0]!;
      return { index, key: curve.encodeG1(curve.mulG1(curve.hashToG1(identity), share.value)) };
    },

    verifyPartialIdentityKey(publicShare, identity, partial) {
      checkIdentity(identity);
      const pk = curve.decodeG2(publicShare);
      const sig = curve.decodeG1(partial.key);
      return curve.pairingEqual(sig, curve.g2, curve.hashToG1(identity), pk);
    },

    extractIdentityKey(request) {
      const { threshold: t, identity, partials, publicShares } = request;
      checkIdentity(identity);
      if (!Number.isInteger(t) || t < 0) {
        throw new OmegaError('INVALID_ARGUMENT', `threshold must be an integer >= 0, got ${t}`);
      }
      if (partials.length < t + 1) {
        throw new OmegaError(
          'NOT_ENOUGH_SHARES',
          `need ${t + 1} partial identity keys, got ${partials.length}`,
        );
      }
      // Validates indices (1..255) and rejects duplicates before any curve work.
      canonicalSubset(partials.map((p) => p.index));
      const mpk = curve.decodeG2(request.masterPublicKey);
      const qid = curve.hashToG1(identity);
      const sorted = [...partials].sort((a, b) => a.index - b.index);

      const culprits = new Set<number>();
      const decoded: { index: ShareIndex; point: P1 }[] = [];
      for (const p of sorted) {
        try {
          if (!(p.key instanceof Uint8Array) || p.key.length !== G1_BYTES) throw new Error('length');
          decoded.push({ index: p.index as ShareIndex, point: curve.decodeG1(p.key) });
        } catch {
          culprits.add(p.index);
        }
      }
      const verifiesAgainstMaster = (key: P1): boolean => curve.pairingEqual(key, curve.g2, qid, mpk);

      // Optimistic path: one pairing check for the whole combination (partials are honest in the
      // common case, so checking each costs t+1 pairing checks for nothing).
      if (decoded.length >= t + 1) {
        const subset = decoded.slice(0, t + 1);
        const key = combine(subset);
        if (verifiesAgainstMaster(key)) {
          return {
            identityKey: curve.encodeG1(key),
            subset: subset.map((p) => p.index),
            culprits: [...culprits].sort((a, b) => a - b),
          };
        }
      }

      // Slow path: check every partial against its sender's public share and name the bad ones.
      const good: { index: ShareIndex; point: P1 }[] = [];
      for (const p of decoded) {
        const pkBytes = publicShares.get(p.index);
        let ok = false;
        if (pkBytes !== undefined) {
          const pk = curve.decodeG2(pkBytes);
          ok = curve.pairingEqual(p.point, curve.g2, qid, pk);
        }
        if (ok) good.push(p);
        else culprits.add(p.index);
      }
      const culpritList = [...culprits].sort((a, b) => a - b);
      if (good.length < t + 1) {
        throw new OmegaError(
          'BAD_PARTIAL',
          `only ${good.length} of ${partials.length} partial identity keys verify; ${t + 1} needed`,
          { culprits: culpritList },
        );
      }
      const subset = good.slice(0, t + 1);
      const key = combine(subset);
      if (!verifiesAgainstMaster(key)) {
        // Every partial verified against its public share, yet the combination does not verify against
        // the master key: the public shares given do not belong to this master key.
        throw new OmegaError('INVALID_ARGUMENT', 'public shares are inconsistent with the master public key');
      }
      return { identityKey: curve.encodeG1(key), subset: subset.map((p) => p.index), culprits: culpritList };
    },

    encodeCiphertext(ciphertext) {
      checkCiphertextShape(ciphertext);
      return concatBytes(ciphertext.U, ciphertext.V, ciphertext.W);
    },

    decodeCiphertext(bytes) {
      if (!(bytes instanceof Uint8Array))
        throw new OmegaError('INVALID_ENCODING', 'IBE ciphertext: expected bytes');
      const rest = bytes.length - G2_BYTES;
      if (rest < 2 || rest % 2 !== 0 || rest / 2 > IBE_MAX_MESSAGE_BYTES) {
        throw new OmegaError(
          'INVALID_LENGTH',
          `IBE ciphertext must be ${G2_BYTES} + 2n bytes with 1 <= n <= ${IBE_MAX_MESSAGE_BYTES}, got ${bytes.length}`,
        );
      }
      const n = rest / 2;
      const U = bytes.slice(0, G2_BYTES);
      curve.decodeG2(U);
      return { U, V: bytes.slice(G2_BYTES, G2_BYTES + n), W: bytes.slice(G2_BYTES + n) };
    },
  };
  return Object.freeze(ibe);
}
