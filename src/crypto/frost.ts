/**
 * FROST(Ed25519, SHA-512), RFC 9591, for the certificate key: the output is a plain Ed25519 signature
 * (RFC 8032) that OpenSSL and `node:crypto` verify, so X.509 certificates and CRLs signed by the service
 * need no special verifier (ARCHITECTURE.md D3, D11).
 *
 * The protocol arithmetic is `@noble/curves`' audited `ed25519_FROST` (RFC 9591 §4–§5); this module adds
 * what a replicated service needs around it (research/protocol-design.md §5.3):
 *
 * - Keys come from Omega's own dealerless key generation (Feldman commitments over the ed25519 group,
 *   `vss.ts`), not from noble's trusted dealer: {@link frostGroupFromCommitments} turns the agreed
 *   commitments into the public signing package every replica computes identically.
 * - Nonce commitments are made ahead of time in batches ({@link NonceBook}), posted to the log, and each
 *   secret nonce is consumed exactly once: {@link NonceBook.take} refuses a second use with NONCE_REUSED.
 *   Nonce reuse is a complete key-recovery attack (RFC 9591 §7.3). The runtime must persist the book with
 *   the nonce marked used *before* releasing the signature share.
 * - Aggregation verifies the result and, on failure, names the signers whose shares are bad
 *   (RFC 9591 §5.4 identifiable abort); the coordinator (the state machine) then retries with a signer
 *   set that excludes them — ROAST with the log as coordinator ({@link selectSigners}).
 */
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import type { FrostPublic, FrostSecret, NonceCommitments, Nonces } from '@noble/curves/abstract/frost.js';
import { Reader, Writer } from '../codec.js';
import { OmegaError } from '../errors.js';
import type { ShareIndex } from './field.js';
import { shareIndex } from './field.js';
import type { EdPoint } from './group.js';
import { ED25519 } from './group.js';
import type { RandomSource } from './rand.js';
import { checkCommitments, publicShare } from './vss.js';

/** RFC 9591 §6.1 context string of the ciphersuite. */
export const FROST_ED25519_CONTEXT = 'FROST-ED25519-SHA512-v1';

const F = ed25519_FROST;
/** noble's FROST types want ArrayBuffer-backed arrays; every array we pass is one. */
type Buf = Uint8Array<ArrayBuffer>;
const buf = (b: Uint8Array): Buf => b as Buf;
const Fn = ED25519.field;

/** The public signing package of a threshold Ed25519 key, the same at every replica. */
export interface FrostGroup {
  readonly threshold: number;
  readonly parties: number;
  /** 32-byte Ed25519 public key (C_0). */
  readonly publicKey: Uint8Array;
  /** noble's view of the same data. */
  readonly pub: FrostPublic;
}

/** A signer's share of the key. */
export interface FrostSigner {
  readonly index: ShareIndex;
  readonly secret: FrostSecret;
}

/** The RFC 9591 identifier of share index i: the scalar i, little-endian (noble's `fromNumber`). */
function identifier(index: ShareIndex): string {
  return F.Identifier.fromNumber(index);
}

/**
 * Builds the public signing package from Feldman commitments C_0..C_t over the ed25519 group: the group
 * key is C_0 and participant i's verifying share is Σ C_k·i^k.
 */
export function frostGroupFromCommitments(
  threshold: number,
  parties: number,
  commitments: readonly EdPoint[],
): FrostGroup {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold >= parties) {
    // RFC 9591 needs at least 2 signers (noble enforces MIN_PARTICIPANTS >= 2): t >= 1.
    throw new OmegaError('INVALID_ARGUMENT', `FROST needs 1 <= t < n, got t=${threshold}, n=${parties}`);
  }
  shareIndex(parties);
  checkCommitments(ED25519, commitments, threshold);
  const verifyingShares: Record<string, Buf> = {};
  for (let i = 1; i <= parties; i++) {
    const index = shareIndex(i);
    verifyingShares[identifier(index)] = buf(ED25519.encode(publicShare(ED25519, commitments, index)));
  }
  const pub: FrostPublic = {
    signers: { min: threshold + 1, max: parties },
    commitments: commitments.map((c) => buf(ED25519.encode(c))),
    verifyingShares,
  };
  return { threshold, parties, publicKey: ED25519.encode(commitments[0]!), pub };
}

/** Wraps a share f(i) as a FROST signer, checking it against the group's verifying share. */
export function frostSigner(group: FrostGroup, index: number, share: bigint): FrostSigner {
  const i = shareIndex(index);
  if (i > group.parties)
    throw new OmegaError('OUT_OF_RANGE', `signer ${i} is not in a group of ${group.parties}`);
  if (share === 0n || !Fn.isValid(share)) throw new OmegaError('OUT_OF_RANGE', 'signing share out of range');
  const secret: FrostSecret = { identifier: identifier(i), signingShare: buf(Fn.encode(share)) };
  try {
    F.validateSecret(secret, group.pub);
  } catch (cause) {
    throw new OmegaError('BAD_SHARE', `signing share of ${i} does not match its verifying share`, { cause });
  }
  return { index: i, secret };
}

/** A public nonce commitment (D_i, E_i), posted to the log ahead of time. */
export interface NonceCommitment {
  readonly index: ShareIndex;
  /** Position in the signer's book; unique per signer and key epoch. */
  readonly seq: number;
  /** 32-byte hiding commitment D = d·B. */
  readonly hiding: Uint8Array;
  /** 32-byte binding commitment E = e·B. */
  readonly binding: Uint8Array;
}

/**
 * One signer's secret nonces, each usable exactly once. A plain value (no I/O): the runtime seals and
 * persists it with {@link encodeNonceBook} after every change, and must persist a `take` before the share
 * it produces leaves the process.
 */
export class NonceBook {
  private readonly unused = new Map<number, Nonces>();
  private readonly used = new Set<number>();

  constructor(
    readonly index: ShareIndex,
    private nextSeq = 0,
  ) {}

  /** Makes `count` fresh nonce pairs (RFC 9591 §4.1 nonce_generate, hedged with the share) and returns their public commitments. */
  generate(signer: FrostSigner, count: number, rng: RandomSource): NonceCommitment[] {
    if (signer.index !== this.index)
      throw new OmegaError('INVALID_ARGUMENT', 'nonce book belongs to another signer');
    if (!Number.isInteger(count) || count < 1 || count > 1024) {
      throw new OmegaError('OUT_OF_RANGE', 'nonce batch size must be in 1..1024');
    }
    const out: NonceCommitment[] = [];
    for (let k = 0; k < count; k++) {
      const seq = this.nextSeq++;
      const { nonces, commitments } = F.commit(signer.secret, (n?: number) => buf(rng(n ?? 32)));
      this.unused.set(seq, nonces);
      out.push({ index: this.index, seq, hiding: commitments.hiding, binding: commitments.binding });
    }
    return out;
  }

  /** Removes and returns the nonces of `seq`. A second request for the same seq throws NONCE_REUSED. */
  take(seq: number): Nonces {
    const nonces = this.unused.get(seq);
    if (nonces === undefined) {
      if (this.used.has(seq))
        throw new OmegaError('NONCE_REUSED', `nonce ${seq} of signer ${this.index} was already used`);
      throw new OmegaError('INVALID_ARGUMENT', `signer ${this.index} has no nonce ${seq}`);
    }
    this.unused.delete(seq);
    this.used.add(seq);
    return nonces;
  }

  /** Marks a nonce abandoned (e.g. its secret was lost): it can never be used. */
  abandon(seq: number): void {
    this.unused.delete(seq);
    this.used.add(seq);
  }

  get available(): number {
    return this.unused.size;
  }

  /** Internal state for {@link encodeNonceBook}. */
  snapshot(): { nextSeq: number; unused: [number, Nonces][]; used: number[] } {
    return { nextSeq: this.nextSeq, unused: [...this.unused], used: [...this.used].sort((a, b) => a - b) };
  }

  static restore(
    index: ShareIndex,
    s: { nextSeq: number; unused: [number, Nonces][]; used: number[] },
  ): NonceBook {
    const book = new NonceBook(index, s.nextSeq);
    for (const [seq, n] of s.unused) book.unused.set(seq, n);
    for (const seq of s.used) book.used.add(seq);
    return book;
  }
}

/** Serialises a nonce book (secret: store it only sealed). */
export function encodeNonceBook(book: NonceBook): Uint8Array {
  const s = book.snapshot();
  return new Writer()
    .u16(book.index)
    .u32(s.nextSeq)
    .array(s.unused, (w, [seq, n]) => w.u32(seq).fixed(n.hiding, 32).fixed(n.binding, 32))
    .array(s.used, (w, seq) => w.u32(seq))
    .finish();
}

/** Strictly decodes {@link encodeNonceBook}'s output. */
export function decodeNonceBook(bytes: Uint8Array): NonceBook {
  const r = new Reader(bytes);
  const index = shareIndex(r.u16());
  const nextSeq = r.u32();
  const unused = r.array(
    1 << 16,
    (rr) => [rr.u32(), { hiding: rr.fixed(32), binding: rr.fixed(32) }] as [number, Nonces],
  );
  const used = r.array(1 << 20, (rr) => rr.u32());
  r.end();
  return NonceBook.restore(index, { nextSeq, unused, used });
}

function toNobleList(commitments: readonly NonceCommitment[]): NonceCommitments[] {
  const sorted = [...commitments].sort((a, b) => a.index - b.index);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.index === sorted[k - 1]!.index) {
      throw new OmegaError(
        'INVALID_ARGUMENT',
        `signer ${sorted[k]!.index} appears twice in the commitment list`,
      );
    }
  }
  // RFC 9591 §4.3: the commitment list is encoded sorted by identifier.
  return sorted.map((c) => {
    ED25519.decode(c.hiding);
    ED25519.decode(c.binding);
    return { identifier: identifier(c.index), hiding: buf(c.hiding), binding: buf(c.binding) };
  });
}

/**
 * Round two (RFC 9591 §5.2): the signer's share z_i for `message` under the agreed commitment list.
 * `nonces` must come from {@link NonceBook.take} for this signer's entry in the list.
 */
export function signShare(
  group: FrostGroup,
  signer: FrostSigner,
  nonces: Nonces,
  commitments: readonly NonceCommitment[],
  message: Uint8Array,
): Uint8Array {
  const list = toNobleList(commitments);
  if (list.length < group.threshold + 1) {
    throw new OmegaError('NOT_ENOUGH_SHARES', `need ${group.threshold + 1} signers, got ${list.length}`);
  }
  try {
    return F.signShare(signer.secret, group.pub, nonces, list, message);
  } catch (cause) {
    throw new OmegaError('INVALID_ARGUMENT', 'FROST signShare refused its inputs', { cause });
  }
}

/** RFC 9591 §5.4: checks one signature share against the signer's verifying share. */
export function verifySignatureShare(
  group: FrostGroup,
  commitments: readonly NonceCommitment[],
  message: Uint8Array,
  index: number,
  share: Uint8Array,
): boolean {
  try {
    return F.verifyShare(group.pub, toNobleList(commitments), message, identifier(shareIndex(index)), share);
  } catch {
    return false;
  }
}

/**
 * RFC 9591 §5.3: aggregates the shares of every signer in the commitment list into a 64-byte Ed25519
 * signature. Optimistic, as RFC 9591 §5.4 suggests: sum the shares and verify the result once; only if
 * that fails is each share checked. A missing or bad share throws BAD_PARTIAL naming every culprit, so the
 * coordinator can exclude them and retry with fresh commitments ({@link selectSigners}).
 */
export function aggregate(
  group: FrostGroup,
  commitments: readonly NonceCommitment[],
  message: Uint8Array,
  shares: ReadonlyMap<number, Uint8Array>,
): Uint8Array {
  const list = toNobleList(commitments);
  const missing = commitments
    .filter((c) => {
      const share = shares.get(c.index);
      return share === undefined || share.length !== Fn.byteLength;
    })
    .map((c) => c.index);
  if (missing.length > 0) {
    throw new OmegaError('BAD_PARTIAL', `missing or malformed FROST shares from ${missing.join(', ')}`, {
      culprits: missing.sort((a, b) => a - b),
    });
  }
  const byId: Record<string, Buf> = {};
  const indexById = new Map<string, number>();
  for (const c of commitments) {
    byId[identifier(c.index)] = buf(shares.get(c.index)!);
    indexById.set(identifier(c.index), c.index);
  }
  try {
    return F.aggregate(group.pub, list, message, byId);
  } catch (cause) {
    const cheaters = (cause as { cheaters?: unknown }).cheaters;
    const culprits = Array.isArray(cheaters)
      ? cheaters.map((id) => indexById.get(String(id))).filter((i): i is number => i !== undefined)
      : [];
    throw new OmegaError('BAD_PARTIAL', `FROST aggregation failed; bad shares from ${culprits.join(', ')}`, {
      culprits: culprits.sort((a, b) => a - b),
      cause,
    });
  }
}

/**
 * Deterministic signer selection for one signing attempt: the first t+1 candidates, in a rotation that
 * starts at `rotation mod n`, that have an unused commitment and are not excluded. Every replica computes
 * the same set from the log. Returns undefined when fewer than t+1 are eligible.
 */
export function selectSigners(
  group: FrostGroup,
  eligible: ReadonlySet<number>,
  excluded: ReadonlySet<number>,
  rotation: number,
): ShareIndex[] | undefined {
  const chosen: ShareIndex[] = [];
  for (let k = 0; k < group.parties && chosen.length < group.threshold + 1; k++) {
    const i = ((rotation + k) % group.parties) + 1;
    if (eligible.has(i) && !excluded.has(i)) chosen.push(shareIndex(i));
  }
  return chosen.length === group.threshold + 1 ? chosen.sort((a, b) => a - b) : undefined;
}
