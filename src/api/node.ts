/**
 * The narrow interface between the HTTP API and the replica process (CometBFT style: the application
 * behind a narrow interface). The replica (src/runtime) implements {@link ReplicaNode}; the API never
 * reaches past it, so the API is tested against an in-memory fake and the replica against its own tests.
 */

/** One member of the cluster as clients see it. */
export interface ReplicaDescriptor {
  /** 1-based replica index. */
  readonly index: number;
  /** The replica's Ed25519 identity public key (32 bytes): it signs replies. */
  readonly publicKey: Uint8Array;
}

/** Static facts about the cluster and this replica. */
export interface ClusterInfo {
  readonly chainId: string;
  readonly replicaIndex: number;
  /** Committee size n ≥ 3f + 1. */
  readonly n: number;
  /** Byzantine replicas tolerated. */
  readonly f: number;
  readonly replicas: readonly ReplicaDescriptor[];
}

/** A result signed by one replica (src/core/machine result.ts: `replySignBytes`). */
export interface SignedReply {
  /** `encodeResult(...)` bytes, bound to the request by its envelope hash. */
  readonly resultBytes: Uint8Array;
  readonly replicaIndex: number;
  /** Ed25519 over lengthPrefixed("omega/reply/v1", chainId, resultBytes) with the replica identity key. */
  readonly signature: Uint8Array;
  /**
   * The service's threshold signature on the result's block with the result's Merkle inclusion proof
   * (`encodeCertificate`, src/core/replies; docs/replies.md). Present once the service signing key
   * exists and the block was certified in time; a client that pins the service key needs only this.
   */
  readonly certificate?: Uint8Array;
}

/** Live state of the replica, for `/v1/status` and the metrics gauges. */
export interface ReplicaStatus {
  /** Height of the last decided and applied block (0 before the first). */
  readonly height: number;
  /** Current consensus round at height + 1. */
  readonly round: number;
  /** Connectivity to every other replica. */
  readonly peers: readonly { readonly index: number; readonly connected: boolean }[];
  /** Block time of the last decision, or null before the first. */
  readonly lastDecisionTimeMs: number | null;
  /** How many heights this replica is behind the highest height it has seen a certificate for. */
  readonly lagHeights: number;
  /** Depth of each bounded queue (mempool, outbound per peer, ...), by name. */
  readonly queues: Readonly<Record<string, number>>;
}

/** One public service key as served by `GET /v1/service-keys`. */
export interface ServicePublicKey {
  readonly publicKey: Uint8Array;
  /** keyFingerprint(purpose, publicKey): what operators compare out of band (docs/service-keys.md). */
  readonly fingerprint: string;
}

/** The bootstrap DKG's progress and, once done, the service public keys (docs/service-keys.md). */
export interface ServiceKeysInfo {
  readonly phase: 'waiting-for-members' | 'dealing' | 'complaints' | 'done' | 'aborted';
  readonly attempt: number;
  /** Hex session id of the current DKG attempt. */
  readonly sessionId: string;
  readonly epoch: number;
  /** t: any t+1 shares sign. */
  readonly threshold: number;
  /** Members whose epoch key is in the log (the DKG deals once all n are). */
  readonly epochKeys: number;
  readonly candidates: readonly number[];
  readonly disqualified: readonly { readonly dealer: number; readonly reason: string }[];
  readonly flagged: readonly { readonly member: number; readonly reason: string }[];
  /** Whether this replica holds its shares of the service keys. */
  readonly holdsShares: boolean;
  /** FROST signing with the certificate key, once the DKG is done: queued nonce commitments per replica (index − 1) and open signing jobs. */
  readonly frost: { readonly queued: readonly number[]; readonly openJobs: number } | null;
  /** Set when phase is `done`. */
  readonly keys: {
    readonly qual: readonly number[];
    readonly signing: ServicePublicKey;
    readonly ibe: ServicePublicKey;
    readonly certificate: ServicePublicKey;
  } | null;
}

/**
 * What the replica offers the API.
 *
 * Contract of {@link ReplicaNode.submit}:
 * - The API has already run `checkEnvelope` on the bytes (so nothing malformed reaches the node); the
 *   node may run it again but must not rely on the API for safety — `apply` re-checks everything.
 * - It resolves when the request has been decided and applied, with this replica's signed result.
 *   If the same envelope (same bytes) was already decided recently, it should resolve with that
 *   result (a bounded cache of recent replies) rather than propose it again, which would only yield
 *   DUPLICATE_REQUEST.
 * - It rejects with an `OmegaError`: NOT_READY or OVERLOADED when it did not admit the request
 *   (nothing will happen), DECISION_TIMEOUT when it admitted the request but no decision came within
 *   its deadline (the request may still take effect: clients must treat it as unknown).
 */
export interface ReplicaNode {
  info(): ClusterInfo;
  status(): ReplicaStatus;
  /** Ready to serve requests (caught up and connected to a quorum). Liveness is the process itself. */
  isReady(): boolean;
  submit(envelope: Uint8Array): Promise<SignedReply>;
  /** The DKG's progress and the service public keys (one replica's view: pin only what f+1 agree on). */
  serviceKeys(): ServiceKeysInfo;
}
