/**
 * Every limit of the consensus layer in one place (ARCHITECTURE.md D14, STYLE.md practice 6: "a limit on
 * everything, every queue bounded"). Decoders, the vote keeper and the buffers all read these values.
 */
export const CONSENSUS_LIMITS = {
  /** Most client requests in one block (a batch). */
  maxBatchCount: 1_000,
  /** Most bytes of client requests in one block, summed. */
  maxBatchBytes: 1 << 20,
  /** Most bytes of one client request. */
  maxRequestBytes: 64 * 1024,
  /** Largest encoded consensus message accepted from the network (a proposal carries a whole block). */
  maxMessageBytes: (1 << 20) + 64 * 1024,
  /** Most members of a committee (validator indices are u16 on the wire). */
  maxCommitteeSize: 256,
  /** Largest voting power of one member; total power stays far below 2^53 so sums are exact. */
  maxMemberPower: 1_000_000,
  /** Most bytes of a chain id (bound into every sign-bytes). */
  maxChainIdBytes: 64,
  /**
   * How many rounds ahead of the current one the vote keeper accepts messages for. Messages further
   * ahead are dropped: a Byzantine sender could otherwise make a replica store votes for 2^32 rounds
   * (the pacemaker attack of hotstuff_rs#5). f+1 senders from a higher round still move a replica there
   * once they are within the window, and the rebroadcast timer resends them.
   */
  maxRoundsAhead: 8,
  /** Highest round number accepted at all (a u32 on the wire; far beyond any real run). */
  maxRound: 1_000_000,
  /** Distinct proposals kept per (height, round): an equivocating proposer cannot fill memory. */
  maxProposalsPerRound: 2,
  /**
   * Votes kept per (sender, round, type): the first one plus one conflicting vote of an equivocator (and
   * a certified vote may replace the latter). Bounds what an equivocator can make a replica store.
   */
  maxVotesPerSender: 2,
  /** Equivocation evidence records reported per sender per height; later ones are counted, not kept. */
  maxEvidencePerSender: 4,
  /** Messages of the next height buffered while this height is still being decided. */
  maxBufferedNextHeight: 1_024,
  /** Most decided blocks in one block-sync response. */
  maxSyncBlocks: 64,
} as const;

export type ConsensusLimits = typeof CONSENSUS_LIMITS;
