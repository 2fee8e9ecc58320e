/**
 * Pure checks of values and certificates: `valid(v)` of the pseudo-code (a function of the value and the
 * decided prefix only, Malachite overview.md "Validation"), commit-certificate verification against the
 * committee of a height, and the check of a decided block fetched by block sync.
 */
import { OmegaError } from '../../errors.js';
import { equalBytes } from '../../crypto/bytes.js';
import { type Committee, isQuorum } from './committee.js';
import { CONSENSUS_LIMITS } from './limits.js';
import {
  type Block,
  type Certificate,
  type Verifier,
  HASH_BYTES,
  VoteType,
  blockHash,
  voteSignBytes,
} from './messages.js';

/** What validity may depend on: the decided prefix, summarised by its last block. */
export interface PrefixTip {
  /** Height of the last decided block (0 before the first). */
  readonly height: number;
  /** Its hash (the genesis hash when height is 0). */
  readonly hash: Uint8Array;
  /** Its block time (the genesis time when height is 0). */
  readonly timeMs: number;
}

/**
 * An application's extra validity rule (e.g. "every request carries a valid client signature and was not
 * decided before"). It must be a pure function of the block and the decided prefix — never of local time,
 * load or configuration that differs between replicas — or correct proposals get rejected and the height
 * never terminates (Malachite overview.md "Validation", properties 1–3).
 */
export type AppValidity = (block: Block, tip: PrefixTip) => boolean;

/**
 * valid(v) for the next height after `tip`: throws INVALID_BLOCK naming the first broken rule.
 * The rules: height = tip.height + 1; prevHash = tip.hash; timeMs > tip.timeMs (block time is monotonic;
 * an upper bound against a local clock would make validity impure); proposer is a member; batch within
 * count and byte limits; and the application rule.
 */
export function checkBlock(block: Block, tip: PrefixTip, committee: Committee, app?: AppValidity): void {
  const h = block.header;
  if (h.height !== tip.height + 1)
    throw new OmegaError('INVALID_BLOCK', `block height ${h.height}, expected ${tip.height + 1}`);
  if (h.prevHash.length !== HASH_BYTES || !equalBytes(h.prevHash, tip.hash)) {
    throw new OmegaError('INVALID_BLOCK', 'block does not extend the decided prefix (previous hash)');
  }
  if (!Number.isSafeInteger(h.timeMs) || h.timeMs <= tip.timeMs) {
    throw new OmegaError('INVALID_BLOCK', 'block time must be above the previous block time');
  }
  if (!Number.isInteger(h.proposer) || h.proposer < 0 || h.proposer >= committee.members.length) {
    throw new OmegaError('INVALID_BLOCK', 'block proposer is not a member');
  }
  if (block.requests.length > CONSENSUS_LIMITS.maxBatchCount) {
    throw new OmegaError('INVALID_BLOCK', `batch of ${block.requests.length} requests exceeds the limit`);
  }
  let bytes = 0;
  for (const q of block.requests) {
    if (q.length > CONSENSUS_LIMITS.maxRequestBytes)
      throw new OmegaError('INVALID_BLOCK', 'request too large');
    bytes += q.length;
  }
  if (bytes > CONSENSUS_LIMITS.maxBatchBytes)
    throw new OmegaError('INVALID_BLOCK', 'batch exceeds the byte limit');
  if (app !== undefined && !app(block, tip))
    throw new OmegaError('INVALID_BLOCK', 'application validity rule rejects the block');
}

/** valid(v) as a boolean (the pseudo-code's form). */
export function isValidBlock(block: Block, tip: PrefixTip, committee: Committee, app?: AppValidity): boolean {
  try {
    checkBlock(block, tip, committee, app);
    return true;
  } catch {
    return false;
  }
}

/**
 * Verifies that `cert` proves a decision for `hash` at its height: every signer a distinct member of
 * `committee` (strictly increasing indices), every precommit signature valid for (chainId, height, round,
 * hash), and the signers' power a quorum (> 2/3). Throws INVALID_CERTIFICATE, naming bad signers as
 * culprits (validator indices), or returns normally.
 *
 * @example
 * verifyCertificate('omega-test', committeeAt(schedule, cert.height), blockHash(block), cert, ed25519Verify);
 */
export function verifyCertificate(
  chainId: string,
  committee: Committee,
  hash: Uint8Array,
  cert: Certificate,
  verify: Verifier,
): void {
  if (!equalBytes(cert.blockHash, hash)) {
    throw new OmegaError('INVALID_CERTIFICATE', 'certificate is for a different block');
  }
  let power = 0;
  let last = -1;
  const culprits: number[] = [];
  for (const s of cert.signatures) {
    if (s.validator <= last)
      throw new OmegaError('INVALID_CERTIFICATE', 'signers must be strictly increasing');
    last = s.validator;
    const member = committee.members[s.validator];
    if (member === undefined) {
      throw new OmegaError('INVALID_CERTIFICATE', `signer ${s.validator} is not a member`, {
        culprits: [s.validator],
      });
    }
    const bytes = voteSignBytes(chainId, {
      type: VoteType.precommit,
      height: cert.height,
      round: cert.round,
      blockHash: hash,
      validator: s.validator,
    });
    if (!verify(member.publicKey, bytes, s.signature)) {
      culprits.push(s.validator);
      continue;
    }
    power += member.power;
  }
  if (culprits.length > 0) {
    throw new OmegaError('INVALID_CERTIFICATE', `bad precommit signatures from ${culprits.join(',')}`, {
      culprits,
    });
  }
  if (!isQuorum(committee, power)) {
    throw new OmegaError(
      'INVALID_CERTIFICATE',
      `signers hold ${power} of ${committee.totalPower} power, not > 2/3`,
    );
  }
}

/**
 * Block sync (pure part): checks a fetched decided block against the prefix and the committee of its
 * height — valid(v) for the prefix, certificate height equal to the block height, and a valid certificate
 * for its hash. Throws INVALID_BLOCK or INVALID_CERTIFICATE.
 */
export function verifyDecidedBlock(
  chainId: string,
  committee: Committee,
  tip: PrefixTip,
  block: Block,
  cert: Certificate,
  verify: Verifier,
  app?: AppValidity,
): void {
  checkBlock(block, tip, committee, app);
  if (cert.height !== block.header.height) {
    throw new OmegaError('INVALID_CERTIFICATE', 'certificate height differs from the block height');
  }
  verifyCertificate(chainId, committee, blockHash(block), cert, verify);
}
