/**
 * Consensus data and its canonical bytes: blocks (batches of client requests), proposals, votes, commit
 * certificates and the wire messages that carry them, all written with `src/codec.ts`.
 *
 * Sign-bytes bind a domain tag, the chain id, the message type, height and round (STYLE.md / development.md
 * "Domain separation"): a signature made for one chain, height, round or step can never be replayed as
 * another. Decoders are strict: bad tags, oversized fields and trailing bytes are OmegaErrors.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Reader } from '../../codec.js';
import { Writer, decodeAll } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { CONSENSUS_LIMITS } from './limits.js';
import { SIGNATURE_BYTES } from './committee.js';

export const HASH_BYTES = 32;

/** Signs sign-bytes with the replica's own key (injected: the core never touches key material). */
export type Signer = (message: Uint8Array) => Uint8Array;
/** Verifies a signature (injected: `node:crypto` Ed25519 in the runtime, anything in tests). */
export type Verifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

export interface BlockHeader {
  readonly height: number;
  /** The round in which this block was first proposed (a re-proposal in a later round keeps it). */
  readonly round: number;
  /** Validator index of the member that built the block. */
  readonly proposer: number;
  /** Hash of the block decided at height − 1 (the genesis hash at height 1). */
  readonly prevHash: Uint8Array;
  /** Block time chosen by the proposer, strictly above the previous block's (checked by validity). */
  readonly timeMs: number;
}

/** The consensus value: a batch of opaque client requests with a header linking it to the prefix. */
export interface Block {
  readonly header: BlockHeader;
  readonly requests: readonly Uint8Array[];
}

export const VoteType = { prevote: 1, precommit: 2 } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

/** ⟨PREVOTE|PRECOMMIT, h, r, id(v) or nil⟩ signed by the validator at `validator`. */
export interface Vote {
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** id(v), or undefined for nil. */
  readonly blockHash: Uint8Array | undefined;
  readonly validator: number;
  readonly signature: Uint8Array;
}

/** ⟨PROPOSAL, h, r, v, vr⟩ signed by proposer(h, r); vr = −1 when the value is fresh. */
export interface Proposal {
  readonly height: number;
  readonly round: number;
  readonly validRound: number;
  readonly block: Block;
  readonly proposer: number;
  readonly signature: Uint8Array;
}

/** One precommit signature in a certificate (all share height, round and block hash). */
export interface CommitSignature {
  readonly validator: number;
  readonly signature: Uint8Array;
}

/**
 * Commit certificate: precommits of more than two thirds of the power of the height's committee for one
 * block in one round. Signatures are sorted by strictly increasing validator index (one encoding).
 */
export interface Certificate {
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array;
  readonly signatures: readonly CommitSignature[];
}

/** A decided block with the certificate that proves it. */
export interface DecidedBlock {
  readonly block: Block;
  readonly certificate: Certificate;
}

/** Everything replicas send each other about consensus. */
export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly proposal: Proposal }
  | { readonly kind: 'vote'; readonly vote: Vote }
  /** A bundle of votes: the polka broadcast on lock (gossip property, Malachite PR #997). */
  | { readonly kind: 'votes'; readonly votes: readonly Vote[] }
  | { readonly kind: 'sync-request'; readonly fromHeight: number; readonly maxCount: number }
  | { readonly kind: 'sync-response'; readonly blocks: readonly DecidedBlock[] };

const TAG_BLOCK = 'omega/consensus/block/v1';
const TAG_VOTE = 'omega/consensus/vote/v1';
const TAG_PROPOSAL = 'omega/consensus/proposal/v1';
const TAG_GENESIS = 'omega/consensus/genesis/v1';

// ── blocks ─────────────────────────────────────────────────────────────────────────────────────────

export function writeBlock(w: Writer, b: Block): void {
  w.u64(b.header.height)
    .u32(b.header.round)
    .u16(b.header.proposer)
    .fixed(b.header.prevHash, HASH_BYTES)
    .u64(b.header.timeMs)
    .array(b.requests, (w2, req) => w2.bytes(req));
}

export function readBlock(r: Reader): Block {
  const height = r.u64Number();
  const round = r.u32();
  const proposer = r.u16();
  const prevHash = r.fixed(HASH_BYTES);
  const timeMs = r.u64Number();
  let total = 0;
  const requests = r.array(CONSENSUS_LIMITS.maxBatchCount, (r2) => {
    const req = r2.bytes(CONSENSUS_LIMITS.maxRequestBytes);
    total += req.length;
    if (total > CONSENSUS_LIMITS.maxBatchBytes) {
      throw new OmegaError('LIMIT_EXCEEDED', `batch exceeds ${CONSENSUS_LIMITS.maxBatchBytes} bytes`);
    }
    return req;
  });
  if (height < 1) throw new OmegaError('OUT_OF_RANGE', 'block height starts at 1');
  return { header: { height, round, proposer, prevHash, timeMs }, requests };
}

export function encodeBlock(b: Block): Uint8Array {
  const w = new Writer(64 + b.requests.reduce((s, q) => s + q.length + 4, 0));
  writeBlock(w, b);
  return w.finish();
}

const hashCache = new WeakMap<Block, Uint8Array>();

/** id(v): SHA-256 over a domain tag and the canonical block encoding. Cached per block object. */
export function blockHash(b: Block): Uint8Array {
  const cached = hashCache.get(b);
  if (cached !== undefined) return cached;
  const w = new Writer();
  w.string(TAG_BLOCK).bytes(encodeBlock(b));
  const h = sha256(w.finish());
  hashCache.set(b, h);
  return h;
}

/** The "previous block" of height 1: binds the chain id so two chains never share a prefix. */
export function genesisHash(chainId: string): Uint8Array {
  return sha256(new Writer().string(TAG_GENESIS).string(chainId).finish());
}

// ── sign-bytes ─────────────────────────────────────────────────────────────────────────────────────

/** The bytes a validator signs for a vote: tag, chain id, type, height, round, id(v) or nil, signer. */
export function voteSignBytes(
  chainId: string,
  v: Pick<Vote, 'type' | 'height' | 'round' | 'blockHash' | 'validator'>,
): Uint8Array {
  return new Writer(128)
    .string(TAG_VOTE)
    .string(chainId)
    .u8(v.type)
    .u64(v.height)
    .u32(v.round)
    .optional(v.blockHash, (w, h) => w.fixed(h, HASH_BYTES))
    .u16(v.validator)
    .finish();
}

/** The bytes a proposer signs: tag, chain id, height, round, valid round (+1, so −1 is 0), id(v), signer. */
export function proposalSignBytes(
  chainId: string,
  p: Pick<Proposal, 'height' | 'round' | 'validRound' | 'proposer'> & { readonly blockHash: Uint8Array },
): Uint8Array {
  return new Writer(128)
    .string(TAG_PROPOSAL)
    .string(chainId)
    .u64(p.height)
    .u32(p.round)
    .u32(p.validRound + 1)
    .fixed(p.blockHash, HASH_BYTES)
    .u16(p.proposer)
    .finish();
}

// ── votes, proposals, certificates ─────────────────────────────────────────────────────────────────

export function writeVote(w: Writer, v: Vote): void {
  w.u8(v.type)
    .u64(v.height)
    .u32(v.round)
    .optional(v.blockHash, (w2, h) => w2.fixed(h, HASH_BYTES))
    .u16(v.validator)
    .fixed(v.signature, SIGNATURE_BYTES);
}

export function readVote(r: Reader): Vote {
  const type = r.u8();
  if (type !== VoteType.prevote && type !== VoteType.precommit) {
    throw new OmegaError('INVALID_ENCODING', `unknown vote type ${type}`);
  }
  const height = r.u64Number();
  const round = r.u32();
  const blockHash = r.optional((r2) => r2.fixed(HASH_BYTES));
  const validator = r.u16();
  const signature = r.fixed(SIGNATURE_BYTES);
  checkHeightRound(height, round);
  return { type, height, round, blockHash, validator, signature };
}

export function writeProposal(w: Writer, p: Proposal): void {
  w.u64(p.height)
    .u32(p.round)
    .u32(p.validRound + 1)
    .u16(p.proposer)
    .fixed(p.signature, SIGNATURE_BYTES);
  writeBlock(w, p.block);
}

export function readProposal(r: Reader): Proposal {
  const height = r.u64Number();
  const round = r.u32();
  const validRound = r.u32() - 1;
  const proposer = r.u16();
  const signature = r.fixed(SIGNATURE_BYTES);
  const block = readBlock(r);
  checkHeightRound(height, round);
  if (validRound >= round)
    throw new OmegaError('OUT_OF_RANGE', 'proposal valid round must be below its round');
  return { height, round, validRound, proposer, signature, block };
}

export function writeCertificate(w: Writer, c: Certificate): void {
  w.u64(c.height)
    .u32(c.round)
    .fixed(c.blockHash, HASH_BYTES)
    .array(c.signatures, (w2, s) => w2.u16(s.validator).fixed(s.signature, SIGNATURE_BYTES));
}

export function readCertificate(r: Reader): Certificate {
  const height = r.u64Number();
  const round = r.u32();
  const blockHash = r.fixed(HASH_BYTES);
  const signatures = r.array(CONSENSUS_LIMITS.maxCommitteeSize, (r2) => ({
    validator: r2.u16(),
    signature: r2.fixed(SIGNATURE_BYTES),
  }));
  checkHeightRound(height, round);
  for (let i = 1; i < signatures.length; i++) {
    if (signatures[i]!.validator <= signatures[i - 1]!.validator) {
      throw new OmegaError(
        'NON_CANONICAL',
        'certificate signatures must be sorted by strictly increasing validator',
      );
    }
  }
  return { height, round, blockHash, signatures };
}

function checkHeightRound(height: number, round: number): void {
  if (height < 1) throw new OmegaError('OUT_OF_RANGE', 'height starts at 1');
  if (round > CONSENSUS_LIMITS.maxRound)
    throw new OmegaError('OUT_OF_RANGE', `round above ${CONSENSUS_LIMITS.maxRound}`);
}

// ── wire messages ──────────────────────────────────────────────────────────────────────────────────

const KIND_TAG = { proposal: 1, vote: 2, votes: 3, 'sync-request': 4, 'sync-response': 5 } as const;

/** Encodes a consensus message for the transport: a one-byte kind tag, then the message. */
export function encodeMessage(m: ConsensusMessage): Uint8Array {
  const w = new Writer();
  w.u8(KIND_TAG[m.kind]);
  switch (m.kind) {
    case 'proposal':
      writeProposal(w, m.proposal);
      break;
    case 'vote':
      writeVote(w, m.vote);
      break;
    case 'votes':
      w.array(m.votes, writeVote);
      break;
    case 'sync-request':
      w.u64(m.fromHeight).u16(m.maxCount);
      break;
    case 'sync-response':
      w.array(m.blocks, (w2, d) => {
        writeBlock(w2, d.block);
        writeCertificate(w2, d.certificate);
      });
      break;
  }
  return w.finish();
}

/**
 * Decodes a message from the network. Rejects with LIMIT_EXCEEDED anything above maxMessageBytes before
 * reading it, and with INVALID_ENCODING / OUT_OF_RANGE / NON_CANONICAL any malformed content.
 * Signatures are *not* checked here: the state machine checks them against the committee of the height.
 */
export function decodeMessage(bytes: Uint8Array): ConsensusMessage {
  if (!(bytes instanceof Uint8Array)) throw new OmegaError('INVALID_ENCODING', 'a message is bytes');
  if (bytes.length > CONSENSUS_LIMITS.maxMessageBytes) {
    throw new OmegaError(
      'LIMIT_EXCEEDED',
      `message of ${bytes.length} bytes exceeds ${CONSENSUS_LIMITS.maxMessageBytes}`,
    );
  }
  return decodeAll(bytes, (r): ConsensusMessage => {
    const tag = r.u8();
    switch (tag) {
      case KIND_TAG.proposal:
        return { kind: 'proposal', proposal: readProposal(r) };
      case KIND_TAG.vote:
        return { kind: 'vote', vote: readVote(r) };
      case KIND_TAG.votes:
        return { kind: 'votes', votes: r.array(CONSENSUS_LIMITS.maxCommitteeSize, readVote) };
      case KIND_TAG['sync-request']: {
        const fromHeight = r.u64Number();
        const maxCount = r.u16();
        if (fromHeight < 1 || maxCount < 1 || maxCount > CONSENSUS_LIMITS.maxSyncBlocks) {
          throw new OmegaError('OUT_OF_RANGE', 'sync request height or count out of range');
        }
        return { kind: 'sync-request', fromHeight, maxCount };
      }
      case KIND_TAG['sync-response']:
        return {
          kind: 'sync-response',
          blocks: r.array(CONSENSUS_LIMITS.maxSyncBlocks, (r2) => ({
            block: readBlock(r2),
            certificate: readCertificate(r2),
          })),
        };
      default:
        throw new OmegaError('INVALID_ENCODING', `unknown consensus message kind ${tag}`);
    }
  });
}
