/**
 * Shared escrow of an existing private key (Omega §5.2 "Escrow protocol", Fig. 3; ARCHITECTURE.md D8a;
 * research/protocol-design.md §7.1 "Escrow verification" and §7.2 pitfalls).
 *
 * Client (depositor), holding the private key of a registered public key PK:
 *   1. s = the key's secret scalar (`keys.ts`); f(x) = s + a_1 x + … + a_t x^t random;
 *      Feldman commitments C_0 = s·G (must equal PK — checked before anything is sent), C_1..C_t;
 *   2. a Schnorr proof of knowledge of s bound to the escrow (rogue-key protection, §7.2);
 *   3. f(j) encrypted to replica j's epoch key (`share-encryption.ts`, purpose 'escrow/share'),
 *      everything in one package, posted to the log in one transaction.
 *
 * Replica j, on the ordered package: the public checks anyone can run ({@link checkEscrowPackage}:
 * exactly t+1 commitments, C_0 == the registered key, PoK valid), then its private check
 * ({@link verifyEscrowShare}: decrypt f(j), verify f(j)·G == Σ C_k j^k). A replica whose share is bad
 * publishes a complaint — its pairwise key with a DLEQ proof — that anyone judges
 * ({@link judgeEscrowComplaint}) without learning any other share.
 *
 * Recovery (Omega §5.2 "Recovery of escrowed keys"): each replica encrypts its share to the authorized
 * recovery key ({@link releaseShareForRecovery}); the recoverer decrypts, verifies each share against the
 * commitments (naming bad replicas), interpolates t+1 and checks the result against the registered
 * public key ({@link recoverEscrowedKey}).
 *
 * Every hash, proof and ciphertext is bound to the escrow session id: SHA-256 over the tag
 * "omega/escrow/v1", key type, escrow id, owner, epoch, threshold and the commitments.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeAll, encodeWith } from '../../codec.js';
import type { Reader, Writer } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { lengthPrefixed, u64be, utf8 } from '../bytes.js';
import { MAX_SHARE_INDEX, shareIndex } from '../field.js';
import type { Group, PointLike } from '../group.js';
import { RISTRETTO255 } from '../group.js';
import { interpolateScalarAtZero } from '../poly.js';
import type { ProofContext } from '../proofs.js';
import { decodeProof, encodeProof, proveSchnorr, verifySchnorr } from '../proofs.js';
import type { RandomSource } from '../rand.js';
import type { PairwiseKeyDisclosure, ShareEncryptionContext, ShareRecipient } from '../share-encryption.js';
import {
  SHARE_TAG_BYTES,
  decryptShare,
  decryptWithDisclosure,
  disclosePairwiseKey,
  encryptShares,
  verifyDisclosure,
} from '../share-encryption.js';
import type { SecretShare } from '../vss.js';
import { deal, verifyShare } from '../vss.js';
import type { EscrowKeyType, RecoveredKey } from './keys.js';
import {
  ESCROW_KEY_TYPE_CODES,
  keyTypeFromCode,
  matchesRegisteredKey,
  recoveredKey,
  secretScalar,
  withEscrowGroup,
} from './keys.js';

export const ESCROW_VERSION = 1;
/** Largest escrow id, in bytes. */
export const MAX_ESCROW_ID_BYTES = 64;
/** Largest owner (principal) identifier, in bytes. */
export const MAX_OWNER_BYTES = 256;
/** The depositor's "index" in share-encryption contexts and complaint verdicts (replicas are 1..n). */
export const DEPOSITOR = 0;
/** Bytes of one encrypted share: a 32-byte scalar and the AEAD tag. */
export const ESCROW_SHARE_CIPHERTEXT_BYTES = 32 + SHARE_TAG_BYTES;

/** An escrow as posted to the log. Points are kept encoded; {@link checkEscrowPackage} decodes them. */
export interface EscrowPackage {
  readonly keyType: EscrowKeyType;
  readonly escrowId: Uint8Array;
  /** The principal whose key is escrowed (its registered identity). */
  readonly owner: Uint8Array;
  /** The epoch whose replica keys the shares are encrypted to. */
  readonly epoch: bigint;
  readonly threshold: number;
  /** C_0..C_t, canonical encodings on the key type's group. */
  readonly commitments: readonly Uint8Array[];
  /** Schnorr PoK of s for C_0 (c ‖ z). */
  readonly proof: Uint8Array;
  /** ristretto255 ephemeral key of the share encryption. */
  readonly ephemeral: Uint8Array;
  /** f(j) encrypted to replica j, for j = 1..n in order. */
  readonly ciphertexts: readonly Uint8Array[];
}

function checkIds(escrowId: Uint8Array, owner: Uint8Array): void {
  if (!(escrowId instanceof Uint8Array) || escrowId.length === 0 || escrowId.length > MAX_ESCROW_ID_BYTES) {
    throw new OmegaError('INVALID_ARGUMENT', `escrow id must be 1..${MAX_ESCROW_ID_BYTES} bytes`);
  }
  if (!(owner instanceof Uint8Array) || owner.length === 0 || owner.length > MAX_OWNER_BYTES) {
    throw new OmegaError('INVALID_ARGUMENT', `owner must be 1..${MAX_OWNER_BYTES} bytes`);
  }
}

/** The session id every proof and ciphertext of this escrow is bound to. */
export function escrowSessionId(pkg: Omit<EscrowPackage, 'proof' | 'ephemeral' | 'ciphertexts'>): Uint8Array {
  return sha256(
    lengthPrefixed(
      utf8('omega/escrow/v1'),
      new Uint8Array([ESCROW_VERSION, ESCROW_KEY_TYPE_CODES[pkg.keyType]]),
      pkg.escrowId,
      pkg.owner,
      u64be(pkg.epoch),
      new Uint8Array([pkg.threshold]),
      ...pkg.commitments,
    ),
  );
}

function pokContext(sessionId: Uint8Array): ProofContext {
  return { sessionId, purpose: 'escrow/pok' };
}

function shareContext(sessionId: Uint8Array): ShareEncryptionContext {
  return { sessionId, purpose: 'escrow/share', dealer: DEPOSITOR };
}

/** What the depositor provides. */
export interface EscrowRequest {
  readonly keyType: EscrowKeyType;
  /** The private key, in the form of the key-type table in `keys.ts`. Never leaves this function. */
  readonly privateKey: Uint8Array;
  /** The public key registered at the service for `owner`. */
  readonly registeredPublicKey: Uint8Array;
  readonly escrowId: Uint8Array;
  readonly owner: Uint8Array;
  readonly epoch: bigint | number;
  /** t: any t+1 replicas reconstruct, t learn nothing. */
  readonly threshold: number;
  /** The replicas' epoch keys, indices 1..n in order (from a certified reply of the service). */
  readonly recipients: readonly ShareRecipient[];
}

/**
 * Client side: builds the escrow package. Throws ESCROW_KEY_MISMATCH if the private key does not belong
 * to the registered public key (so a client never deposits a useless escrow).
 */
export function createEscrow(req: EscrowRequest, rng: RandomSource): EscrowPackage {
  checkIds(req.escrowId, req.owner);
  const n = req.recipients.length;
  if (!Number.isInteger(req.threshold) || req.threshold < 0 || req.threshold >= n || n > MAX_SHARE_INDEX) {
    throw new OmegaError(
      'INVALID_ARGUMENT',
      `need 0 <= t < n <= ${MAX_SHARE_INDEX}, got t=${req.threshold}, n=${n}`,
    );
  }
  req.recipients.forEach((r, k) => {
    if (r.index !== k + 1)
      throw new OmegaError('INVALID_ARGUMENT', 'recipients must be replicas 1..n in order');
  });
  const epoch = BigInt(req.epoch);
  const s = secretScalar(req.keyType, req.privateKey);
  return withEscrowGroup(req.keyType, (group) => {
    const C0 = group.mulBase(s);
    if (!matchesRegisteredKey(req.keyType, group, C0, req.registeredPublicKey)) {
      throw new OmegaError(
        'ESCROW_KEY_MISMATCH',
        'the private key does not belong to the registered public key',
      );
    }
    const dealing = deal(group, { threshold: req.threshold, parties: n, secret: s }, rng);
    const commitments = dealing.commitments.map((c) => group.encode(c));
    const header = {
      keyType: req.keyType,
      escrowId: req.escrowId.slice(),
      owner: req.owner.slice(),
      epoch,
      threshold: req.threshold,
      commitments,
    };
    const sessionId = escrowSessionId(header);
    const proof = encodeProof(group, proveSchnorr(group, s, pokContext(sessionId), rng));
    const enc = encryptShares(
      shareContext(sessionId),
      req.recipients,
      dealing.shares.map((sh) => group.field.encode(sh.value)),
      rng,
    );
    return { ...header, proof, ephemeral: enc.ephemeral, ciphertexts: enc.ciphertexts };
  });
}

/**
 * The public checks, deterministic, which every replica runs in the state machine: the commitment vector
 * has exactly t+1 valid points (BAD_COMMITMENTS), C_0 equals the registered public key
 * (ESCROW_KEY_MISMATCH), and the proof of knowledge of s verifies (BAD_PROOF). Culprit 0 = the depositor.
 */
export function checkEscrowPackage(pkg: EscrowPackage, registeredPublicKey: Uint8Array): void {
  withEscrowGroup(pkg.keyType, (group) => {
    decodeCheckedCommitments(group, pkg, registeredPublicKey);
  });
}

function decodeCheckedCommitments<P extends PointLike<P>>(
  group: Group<P>,
  pkg: EscrowPackage,
  registeredPublicKey: Uint8Array,
): P[] {
  if (pkg.ciphertexts.length <= pkg.threshold || pkg.ciphertexts.length > MAX_SHARE_INDEX) {
    throw new OmegaError('INVALID_ARGUMENT', `escrow needs t < n <= ${MAX_SHARE_INDEX} encrypted shares`, {
      culprits: [DEPOSITOR],
    });
  }
  if (pkg.commitments.length !== pkg.threshold + 1) {
    throw new OmegaError(
      'BAD_COMMITMENTS',
      `expected exactly t+1 = ${pkg.threshold + 1} commitments, got ${pkg.commitments.length}`,
      { culprits: [DEPOSITOR] },
    );
  }
  let commitments: P[];
  try {
    commitments = pkg.commitments.map((c) => group.decode(c));
  } catch (cause) {
    throw new OmegaError('BAD_COMMITMENTS', 'a commitment is not a valid subgroup point', {
      culprits: [DEPOSITOR],
      cause,
    });
  }
  if (!matchesRegisteredKey(pkg.keyType, group, commitments[0]!, registeredPublicKey)) {
    throw new OmegaError(
      'ESCROW_KEY_MISMATCH',
      'the constant commitment C_0 is not the registered public key',
      {
        culprits: [DEPOSITOR],
      },
    );
  }
  const proof = decodeProof(group, pkg.proof);
  if (!verifySchnorr(group, commitments[0]!, proof, pokContext(escrowSessionId(pkg)))) {
    throw new OmegaError('BAD_PROOF', 'the proof of knowledge of the escrowed key does not verify', {
      culprits: [DEPOSITOR],
    });
  }
  return commitments;
}

/** A replica's own key material for one epoch. */
export interface ReplicaEpochKey {
  readonly index: number;
  /** ristretto255 epoch public key (32 bytes). */
  readonly publicKey: Uint8Array;
  readonly secretKey: bigint;
}

/** The outcome of a replica's private check. */
export type EscrowShareVerdict =
  | { readonly status: 'ok'; readonly share: SecretShare }
  | {
      readonly status: 'complaint';
      readonly reason: 'DECRYPTION_FAILED' | 'BAD_SHARE';
      readonly disclosure: PairwiseKeyDisclosure;
    };

/**
 * Replica side: runs the public checks (throwing as {@link checkEscrowPackage} does), then decrypts and
 * verifies its own share. A share that does not decrypt or does not match the commitments yields a
 * complaint carrying the verifiable disclosure of the pairwise key (never the epoch secret key).
 */
export function verifyEscrowShare(
  pkg: EscrowPackage,
  registeredPublicKey: Uint8Array,
  me: ReplicaEpochKey,
  rng: RandomSource,
): EscrowShareVerdict {
  return withEscrowGroup(pkg.keyType, (group): EscrowShareVerdict => {
    const commitments = decodeCheckedCommitments(group, pkg, registeredPublicKey);
    const index = shareIndex(me.index);
    const ciphertext = pkg.ciphertexts[index - 1];
    if (ciphertext === undefined) {
      throw new OmegaError('INVALID_ARGUMENT', `the escrow has no share for replica ${index}`);
    }
    const ctx = shareContext(escrowSessionId(pkg));
    const recipient = { index, publicKey: me.publicKey };
    const complain = (reason: 'DECRYPTION_FAILED' | 'BAD_SHARE'): EscrowShareVerdict => ({
      status: 'complaint',
      reason,
      disclosure: disclosePairwiseKey(ctx, recipient, me.secretKey, pkg.ephemeral, rng),
    });
    let plaintext: Uint8Array;
    try {
      plaintext = decryptShare(ctx, recipient, me.secretKey, pkg.ephemeral, ciphertext);
    } catch {
      return complain('DECRYPTION_FAILED');
    }
    let value: bigint;
    try {
      value = group.field.decode(plaintext, { allowZero: true });
    } catch {
      return complain('BAD_SHARE');
    }
    const share = { index, value };
    return verifyShare(group, commitments, share) ? { status: 'ok', share } : complain('BAD_SHARE');
  });
}

/**
 * Anyone: judges replica `complainant`'s complaint about this escrow. 'depositor' if the disclosed key
 * opens a share that is missing, malformed or inconsistent with the commitments; 'complainant' if the
 * disclosure's proof fails or the share it opens is good (a false complaint).
 */
export function judgeEscrowComplaint(
  pkg: EscrowPackage,
  complainant: ShareRecipient,
  disclosure: PairwiseKeyDisclosure,
): { readonly fault: 'depositor' | 'complainant' } {
  const ctx = shareContext(escrowSessionId(pkg));
  const index = shareIndex(complainant.index);
  const ciphertext = pkg.ciphertexts[index - 1];
  if (!verifyDisclosure(ctx, complainant, pkg.ephemeral, disclosure)) return { fault: 'complainant' };
  if (ciphertext === undefined) return { fault: 'depositor' };
  let plaintext: Uint8Array;
  try {
    plaintext = decryptWithDisclosure(ctx, complainant, pkg.ephemeral, disclosure, ciphertext);
  } catch {
    return { fault: 'depositor' };
  }
  return withEscrowGroup(pkg.keyType, (group) => {
    try {
      const commitments = pkg.commitments.map((c) => group.decode(c));
      const value = group.field.decode(plaintext, { allowZero: true });
      return { fault: verifyShare(group, commitments, { index, value }) ? 'complainant' : 'depositor' };
    } catch {
      return { fault: 'depositor' };
    }
  });
}

/** Context of one recovery: the request that authorized it. */
export interface RecoveryContext {
  readonly requestId: Uint8Array;
  /** The authorized recovery key (ristretto255, 32 bytes), pre-registered by the owner (Omega §6). */
  readonly recoveryKey: Uint8Array;
}

function recoveryContext(pkg: EscrowPackage, rc: RecoveryContext, replica: number): ShareEncryptionContext {
  return {
    sessionId: sha256(
      lengthPrefixed(utf8('omega/escrow/recovery/v1'), escrowSessionId(pkg), rc.requestId, rc.recoveryKey),
    ),
    purpose: 'escrow/recovery',
    dealer: replica,
  };
}

/** One replica's share, encrypted to the recovery key. */
export interface ReleasedShare {
  readonly index: number;
  readonly ephemeral: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Replica side of recovery: encrypts its verified share to the authorized recovery key. */
export function releaseShareForRecovery(
  pkg: EscrowPackage,
  share: SecretShare,
  rc: RecoveryContext,
  rng: RandomSource,
): ReleasedShare {
  const enc = withEscrowGroup(pkg.keyType, (group) =>
    encryptShares(
      recoveryContext(pkg, rc, share.index),
      [{ index: DEPOSITOR, publicKey: rc.recoveryKey }],
      [group.field.encode(share.value)],
      rng,
    ),
  );
  return { index: share.index, ephemeral: enc.ephemeral, ciphertext: enc.ciphertexts[0]! };
}

/**
 * Recoverer: decrypts the released shares with the recovery secret, verifies each against the
 * commitments (a share that fails to decrypt or verify names its replica), interpolates the canonical
 * subset of the t+1 lowest valid indices and checks the result against the registered public key.
 * Throws BAD_PARTIAL (with culprits) or NOT_ENOUGH_SHARES when fewer than t+1 shares are good.
 */
export function recoverEscrowedKey(
  pkg: EscrowPackage,
  registeredPublicKey: Uint8Array,
  rc: RecoveryContext,
  recoverySecret: bigint,
  released: readonly ReleasedShare[],
): { readonly key: RecoveredKey; readonly culprits: readonly number[] } {
  return withEscrowGroup(pkg.keyType, (group) => {
    const commitments = decodeCheckedCommitments(group, pkg, registeredPublicKey);
    const shares: SecretShare[] = [];
    const culprits = new Set<number>();
    for (const r of [...released].sort((a, b) => a.index - b.index)) {
      const index = shareIndex(r.index);
      if (shares.some((s) => s.index === index)) continue;
      try {
        const plaintext = decryptShare(
          recoveryContext(pkg, rc, index),
          { index: DEPOSITOR, publicKey: rc.recoveryKey },
          recoverySecret,
          r.ephemeral,
          r.ciphertext,
        );
        const share = { index, value: group.field.decode(plaintext, { allowZero: true }) };
        if (verifyShare(group, commitments, share)) {
          shares.push(share);
          culprits.delete(index);
          continue;
        }
      } catch {
        // fall through: blamed below
      }
      culprits.add(index);
    }
    return finishRecovery(
      group,
      pkg,
      registeredPublicKey,
      shares,
      [...culprits].sort((a, b) => a - b),
    );
  });
}

/**
 * Recoverer: turns a bad released share into a complaint anyone can check — the pairwise key of that one
 * ciphertext with a DLEQ proof (`share-encryption.ts`); the recovery secret itself stays private.
 */
export function recoveryComplaint(
  pkg: EscrowPackage,
  rc: RecoveryContext,
  recoverySecret: bigint,
  released: ReleasedShare,
  rng: RandomSource,
): PairwiseKeyDisclosure {
  return disclosePairwiseKey(
    recoveryContext(pkg, rc, shareIndex(released.index)),
    { index: DEPOSITOR, publicKey: rc.recoveryKey },
    recoverySecret,
    released.ephemeral,
    rng,
  );
}

/**
 * Anyone (the state machine): 'replica' if the disclosed key opens a share that does not decrypt or does
 * not match the escrow's commitments; 'recoverer' if the disclosure is invalid or the share is good.
 */
export function judgeRecoveryComplaint(
  pkg: EscrowPackage,
  rc: RecoveryContext,
  released: ReleasedShare,
  disclosure: PairwiseKeyDisclosure,
): { readonly fault: 'replica' | 'recoverer' } {
  const index = shareIndex(released.index);
  const ctx = recoveryContext(pkg, rc, index);
  const recipient = { index: DEPOSITOR, publicKey: rc.recoveryKey };
  if (!verifyDisclosure(ctx, recipient, released.ephemeral, disclosure)) return { fault: 'recoverer' };
  let plaintext: Uint8Array;
  try {
    plaintext = decryptWithDisclosure(ctx, recipient, released.ephemeral, disclosure, released.ciphertext);
  } catch {
    return { fault: 'replica' };
  }
  return withEscrowGroup(pkg.keyType, (group) => {
    try {
      const commitments = pkg.commitments.map((c) => group.decode(c));
      const value = group.field.decode(plaintext, { allowZero: true });
      return { fault: verifyShare(group, commitments, { index, value }) ? 'recoverer' : 'replica' };
    } catch {
      return { fault: 'replica' };
    }
  });
}

/**
 * Reconstructs the escrowed key from plaintext shares (e.g. in a test, or after an out-of-band
 * recovery): verifies each against the commitments, interpolates t+1 and checks the public key.
 */
export function reconstructEscrowedKey(
  pkg: EscrowPackage,
  registeredPublicKey: Uint8Array,
  shares: readonly SecretShare[],
): { readonly key: RecoveredKey; readonly culprits: readonly number[] } {
  return withEscrowGroup(pkg.keyType, (group) => {
    const commitments = decodeCheckedCommitments(group, pkg, registeredPublicKey);
    const good: SecretShare[] = [];
    const culprits: number[] = [];
    for (const s of [...shares].sort((a, b) => a.index - b.index)) {
      if (good.some((g) => g.index === s.index)) continue;
      if (verifyShare(group, commitments, s)) good.push(s);
      else culprits.push(s.index);
    }
    return finishRecovery(group, pkg, registeredPublicKey, good, culprits);
  });
}

function finishRecovery<P extends PointLike<P>>(
  group: Group<P>,
  pkg: EscrowPackage,
  registeredPublicKey: Uint8Array,
  shares: readonly SecretShare[],
  culprits: readonly number[],
): { readonly key: RecoveredKey; readonly culprits: readonly number[] } {
  if (shares.length < pkg.threshold + 1) {
    if (culprits.length > 0) {
      throw new OmegaError(
        'BAD_PARTIAL',
        `only ${shares.length} of t+1 = ${pkg.threshold + 1} shares verify`,
        {
          culprits,
        },
      );
    }
    throw new OmegaError('NOT_ENOUGH_SHARES', `need t+1 = ${pkg.threshold + 1} shares, got ${shares.length}`);
  }
  // Every offered share was checked (and its sender named if bad); interpolate the t+1 lowest valid.
  const s = interpolateScalarAtZero(group.field, shares.slice(0, pkg.threshold + 1));
  return { key: recoveredKey(pkg.keyType, s, registeredPublicKey), culprits };
}

function writePackage(w: Writer, pkg: EscrowPackage): void {
  const elementLength = withEscrowGroup(pkg.keyType, (g) => g.elementLength);
  w.u8(ESCROW_VERSION);
  w.u8(ESCROW_KEY_TYPE_CODES[pkg.keyType]);
  w.bytes(pkg.escrowId);
  w.bytes(pkg.owner);
  w.u64(pkg.epoch);
  w.u8(pkg.threshold);
  w.u8(pkg.ciphertexts.length);
  if (pkg.commitments.length !== pkg.threshold + 1) {
    throw new OmegaError('BAD_COMMITMENTS', 'expected exactly t+1 commitments');
  }
  for (const c of pkg.commitments) w.fixed(c, elementLength);
  w.fixed(pkg.proof, 64);
  w.fixed(pkg.ephemeral, 32);
  for (const c of pkg.ciphertexts) w.fixed(c, ESCROW_SHARE_CIPHERTEXT_BYTES);
}

function readPackage(r: Reader): EscrowPackage {
  const version = r.u8();
  if (version !== ESCROW_VERSION)
    throw new OmegaError('UNSUPPORTED_VERSION', `unknown escrow version ${version}`);
  const keyType = keyTypeFromCode(r.u8());
  const escrowId = r.bytes(MAX_ESCROW_ID_BYTES);
  const owner = r.bytes(MAX_OWNER_BYTES);
  checkIds(escrowId, owner);
  const epoch = r.u64();
  const threshold = r.u8();
  const parties = r.u8();
  if (threshold >= parties) {
    throw new OmegaError('INVALID_ENCODING', `escrow needs t < n, got t=${threshold}, n=${parties}`);
  }
  return withEscrowGroup(keyType, (group) => {
    const commitments: Uint8Array[] = [];
    for (let k = 0; k <= threshold; k++)
      commitments.push(group.encode(group.decode(r.fixed(group.elementLength))));
    const proof = r.fixed(64);
    decodeProof(group, proof);
    const ephemeral = r.fixed(32);
    RISTRETTO255.decode(ephemeral);
    const ciphertexts: Uint8Array[] = [];
    for (let j = 0; j < parties; j++) ciphertexts.push(r.fixed(ESCROW_SHARE_CIPHERTEXT_BYTES));
    return { keyType, escrowId, owner, epoch, threshold, commitments, proof, ephemeral, ciphertexts };
  });
}

/**
 * Version-1 encoding (big-endian):
 *   u8 version = 1 ‖ u8 key type ‖ u32 |id| ‖ escrow id (1..64) ‖ u32 |owner| ‖ owner (1..256) ‖ u64 epoch
 *   ‖ u8 t ‖ u8 n ‖ (t+1) commitments (32 or 33 bytes each) ‖ PoK c ‖ z (64) ‖ ephemeral (32)
 *   ‖ n encrypted shares (48 bytes each)
 */
export function encodeEscrowPackage(pkg: EscrowPackage): Uint8Array {
  return encodeWith(pkg, writePackage);
}

/** Strict decoder: every point subgroup-checked and canonical, exact sizes, no trailing bytes. */
export function decodeEscrowPackage(bytes: Uint8Array): EscrowPackage {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'expected bytes');
  const maxBytes = 2 + 4 + MAX_ESCROW_ID_BYTES + 4 + MAX_OWNER_BYTES + 8 + 2 + 256 * 33 + 96 + 255 * 48;
  if (bytes.length > maxBytes) throw new OmegaError('LIMIT_EXCEEDED', 'escrow package too large');
  return decodeAll(bytes, readPackage);
}

/** Encoding of a released share: version (u8 = 1) ‖ index (u8) ‖ ephemeral (32) ‖ ciphertext (48) = 82 bytes. */
export function encodeReleasedShare(share: ReleasedShare): Uint8Array {
  return encodeWith(share, (w, s) => {
    w.u8(ESCROW_VERSION);
    w.u8(shareIndex(s.index));
    w.fixed(s.ephemeral, 32);
    w.fixed(s.ciphertext, ESCROW_SHARE_CIPHERTEXT_BYTES);
  });
}

/** Strict decoder: exact length, version, index 1..255, valid ristretto255 ephemeral. */
export function decodeReleasedShare(bytes: Uint8Array): ReleasedShare {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 2 + 32 + ESCROW_SHARE_CIPHERTEXT_BYTES) {
    throw new OmegaError(
      'INVALID_LENGTH',
      `released share must be ${2 + 32 + ESCROW_SHARE_CIPHERTEXT_BYTES} bytes`,
    );
  }
  return decodeAll(bytes, (r) => {
    const version = r.u8();
    if (version !== ESCROW_VERSION)
      throw new OmegaError('UNSUPPORTED_VERSION', `unknown released share version ${version}`);
    const index = shareIndex(r.u8());
    const ephemeral = r.fixed(32);
    RISTRETTO255.decode(ephemeral);
    return { index, ephemeral, ciphertext: r.fixed(ESCROW_SHARE_CIPHERTEXT_BYTES) };
  });
}
