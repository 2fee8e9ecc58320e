/**
 * The Omega client: signs requests, sends them to several replicas, and accepts an answer only when
 * the service vouches for it (ARCHITECTURE.md D7; Schneider–Zhou §6 output voting):
 * - with the service public key pinned (`ClusterConfig.servicePublicKey`), one reply whose certificate
 *   — the service's threshold BLS signature on the result's block with the result's Merkle inclusion
 *   proof (docs/replies.md) — verifies under that key; no replica's word counts any more;
 * - before the DKG has produced that key (nothing pinned), f+1 distinct replicas that Ed25519-signed
 *   the same result bytes. Among f+1 replicas at least one is correct, so no coalition of ≤ f
 *   Byzantine replicas can make the client accept a result the correct replicas did not produce.
 *
 * Every call ends in exactly one of three outcomes (docs/api.md, "SDK outcomes"), never a guess:
 * - `ok`: f+1 replicas signed the same successful result for this very envelope.
 * - `fail`: the request certainly had no effect — f+1 replicas signed the same error result, or f+1
 *   replicas rejected it with the same deterministic validation code before ordering, or the SDK
 *   refused to build it.
 * - `unknown`: anything else (timeouts, replicas down, disagreeing replies, a replay whose first result
 *   was not collected): the request may or may not have taken effect.
 *
 * Browser-safe: Web APIs only (fetch, AbortController, crypto.getRandomValues); no `node:` imports
 * (a test bundles this module for the browser).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { BLS_SIG_DST } from '../crypto/bls/encoding.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import type { ErrorCode } from '../errors.js';
import { ERROR_CODES, OmegaError, isOmegaError } from '../errors.js';
import {
  STATELESS_CHECK_CODES,
  attachSignature,
  encodeUnsignedEnvelope,
  envelopeHash,
  requestSignBytes,
} from '../core/machine/envelope.js';
import { MACHINE_LIMITS, REQUEST_ID_BYTES } from '../core/machine/limits.js';
import type { OperationName } from '../core/machine/operations.js';
import { OP_TAGS, findOperation } from '../core/machine/operations.js';
import type { RequestResult } from '../core/machine/result.js';
import { decodeResult, replySignBytes } from '../core/machine/result.js';
import type { BlsBackend } from '../crypto/bls/backend.js';
import type { BlsVerify } from '../core/replies/certificate.js';
import {
  CERTIFICATE_BYTES_MAX,
  SERVICE_PUBLIC_KEY_BYTES,
  verifyCertifiedReply,
} from '../core/replies/certificate.js';
import { fromBase64url, toBase64url } from './base64url.js';
import type { Ed25519Provider } from './ed25519.js';
import { loadEd25519 } from './ed25519.js';

/** One replica as the client knows it: where to reach it and the key its replies must verify under. */
export interface ReplicaEndpoint {
  readonly index: number;
  /** Base URL, e.g. `https://replica-1.example:8443`. */
  readonly url: string;
  /** Ed25519 identity public key (32 bytes). */
  readonly publicKey: Uint8Array;
}

export interface ClusterConfig {
  readonly chainId: string;
  readonly replicas: readonly ReplicaEndpoint[];
  /** Byzantine replicas tolerated; the SDK requires n ≥ 3f + 1. */
  readonly f: number;
  /**
   * The service public key (96-byte compressed G2 point) produced by the cluster's DKG, obtained out of
   * band (client.json, the operator's published fingerprint). When set, only replies with a certificate
   * that verifies under it are accepted, and one such reply suffices; when absent, f+1 matching
   * replica signatures are required (docs/api.md, "SDK outcomes").
   */
  readonly servicePublicKey?: Uint8Array;
}

export interface ClientOptions {
  readonly cluster: ClusterConfig;
  /** The client's 32-byte Ed25519 secret key (seed); its public key is the principal. */
  readonly secretKey: Uint8Array;
  /** Overall deadline of one request, in ms (default 30,000). After it the outcome is `unknown`. */
  readonly timeoutMs?: number;
  /**
   * Replicas contacted at once (default 2f+1, or f+1 with a pinned service key, where one certified reply
   * decides; 'all' for every replica). More are tried on failure and every hedgeMs.
   */
  readonly fanout?: number | 'all';
  /**
   * While undecided, contact one more replica every hedgeMs (default 2,000), so replicas that accept a
   * request and never answer cannot stall it until the deadline.
   */
  readonly hedgeMs?: number;
  /** notBefore = now − clockSkewMs, tolerating a client clock ahead of block time (default 30,000). */
  readonly clockSkewMs?: number;
  /** Largest reply body read from a replica (default 256 KiB); a larger one is a bad reply. */
  readonly replyBytesMax?: number;
  /**
   * Plain min-sig BLS verification used to check service signatures (default: `@noble/curves`, pure JS
   * and browser-safe, ≈ 50 ms per block statement). Node programs can pass a native-speed one, e.g.
   * `blsBackendVerify(await loadBlsBackend())` (mcl-wasm, ≈ 7 ms). Successes are cached per statement.
   */
  readonly blsVerify?: BlsVerify;
  /** Injected for tests; default the global fetch, Date.now and crypto.getRandomValues. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly random?: (length: number) => Uint8Array;
}

export interface RequestOptions {
  /** notAfter = now + validityMs (default 60,000). The whole window must be ≤ 10 minutes. */
  readonly validityMs?: number;
}

/** A result accepted on f+1 matching signatures. */
export interface AcceptedResult {
  readonly output: Uint8Array;
  readonly requestId: Uint8Array;
  readonly height: number;
  readonly index: number;
  /** The result bytes f+1 replicas signed, and who signed them (evidence for an audit). */
  readonly resultBytes: Uint8Array;
  readonly signatures: readonly { readonly replicaIndex: number; readonly signature: Uint8Array }[];
  /**
   * With a pinned service key: the certificate (`encodeCertificate`, src/core/replies) that proves the
   * result under it — transferable evidence anyone holding the public key can check.
   */
  readonly certificate?: Uint8Array;
}

/** Replicas that provably misbehaved during the call (bad signature, unbound or malformed reply). */
interface Evidence {
  readonly culprits: readonly number[];
}

export type Outcome =
  | ({ readonly outcome: 'ok'; readonly result: AcceptedResult } & Evidence)
  | ({ readonly outcome: 'fail'; readonly code: ErrorCode; readonly message: string } & Evidence)
  | ({ readonly outcome: 'unknown'; readonly reason: string } & Evidence);

/** A signed envelope ready to send. */
export interface BuiltEnvelope {
  readonly bytes: Uint8Array;
  readonly requestId: Uint8Array;
  readonly hash: Uint8Array;
}

/** With a pinned key, how many more times a replica that answered uncertified is asked again. */
const UNCERTIFIED_RETRIES_MAX = 2;

/** Codes that every correct replica computes identically from the request bytes alone. */
const DETERMINISTIC_REJECTIONS: ReadonlySet<string> = new Set<ErrorCode>([
  ...STATELESS_CHECK_CODES,
  'INVALID_REQUEST',
]);

type Attempt =
  | { kind: 'reply'; resultBytes: Uint8Array; result: RequestResult; signature: Uint8Array }
  | {
      kind: 'certified';
      resultBytes: Uint8Array;
      result: RequestResult;
      signature: Uint8Array;
      certificate: Uint8Array;
    }
  | { kind: 'rejected'; code: ErrorCode; message: string }
  | { kind: 'culprit'; reason: string }
  | { kind: 'error'; reason: string };

export class OmegaClient {
  readonly publicKey: Uint8Array;
  private readonly cluster: ClusterConfig;
  private readonly secretKey: Uint8Array;
  private readonly timeoutMs: number;
  private readonly fanout: number;
  private readonly clockSkewMs: number;
  private readonly hedgeMs: number;
  private readonly replyBytesMax: number;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly random: (length: number) => Uint8Array;
  /** Verifies service signatures under the pinned key (decoded once); undefined when nothing is pinned. */
  private readonly serviceVerify: BlsVerify | undefined;
  /** WebCrypto Ed25519 when the platform has it, noble otherwise (loaded at the first request). */
  private ed25519Provider: Promise<Ed25519Provider> | undefined;

  constructor(options: ClientOptions) {
    validateCluster(options.cluster);
    if (!(options.secretKey instanceof Uint8Array) || options.secretKey.length !== 32) {
      throw new OmegaError('INVALID_LENGTH', 'secret key must be 32 bytes');
    }
    this.cluster = options.cluster;
    this.secretKey = options.secretKey.slice();
    this.publicKey = ed25519.getPublicKey(this.secretKey);
    const n = options.cluster.replicas.length;
    const f = options.cluster.f;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    // With a pinned key one certified reply decides, so f+1 replicas (at least one of them correct)
    // suffice; counting signatures needs f+1 *matching* ones, so ask 2f+1 and tolerate f silent.
    const defaultFanout = options.cluster.servicePublicKey === undefined ? 2 * f + 1 : f + 1;
    this.fanout =
      options.fanout === 'all' ? n : Math.min(n, Math.max(f + 1, options.fanout ?? defaultFanout));
    this.clockSkewMs = options.clockSkewMs ?? 30_000;
    this.hedgeMs = options.hedgeMs ?? 2_000;
    this.replyBytesMax = options.replyBytesMax ?? 256 * 1024;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? webRandom;
    const pinned = options.cluster.servicePublicKey;
    this.serviceVerify =
      pinned === undefined
        ? undefined
        : options.blsVerify === undefined
          ? nobleServiceVerify(pinned)
          : cachedServiceVerify(pinned, options.blsVerify);
  }

  /** A fresh 32-byte Ed25519 secret key from `crypto.getRandomValues`. */
  static generateSecretKey(random: (length: number) => Uint8Array = webRandom): Uint8Array {
    return random(32);
  }

  /** The null operation: echoes `payload` (≤ 1 KiB) through the log. */
  ping(payload: Uint8Array = new Uint8Array(0), options: RequestOptions = {}): Promise<Outcome> {
    return this.request('ping', payload, options);
  }

  /** Builds, signs and sends one request; resolves with its outcome (never rejects for replica faults). */
  async request(
    operation: OperationName | number,
    body: Uint8Array,
    options: RequestOptions = {},
  ): Promise<Outcome> {
    let built: BuiltEnvelope;
    try {
      const { unsigned, requestId } = this.prepareEnvelope(operation, body, options);
      const ed = await this.ed25519();
      const bytes = attachSignature(unsigned, await ed.sign(requestSignBytes(unsigned)));
      built = { bytes, requestId, hash: envelopeHash(bytes) };
    } catch (e) {
      // Nothing was sent: a definite failure.
      if (isOmegaError(e)) return { outcome: 'fail', code: e.code, message: e.message, culprits: [] };
      throw e;
    }
    return this.submitEnvelope(built);
  }

  /**
   * Builds and signs an envelope (docs/machine.md) with a fresh random request id. Throws OmegaError
   * (LIMIT_EXCEEDED, INVALID_WINDOW, UNKNOWN_OPERATION) for a request no replica would accept.
   */
  buildEnvelope(
    operation: OperationName | number,
    body: Uint8Array,
    options: RequestOptions = {},
  ): BuiltEnvelope {
    const { unsigned, requestId } = this.prepareEnvelope(operation, body, options);
    const bytes = attachSignature(unsigned, ed25519.sign(requestSignBytes(unsigned), this.secretKey));
    return { bytes, requestId, hash: envelopeHash(bytes) };
  }

  /** The platform's Ed25519 (see src/sdk/ed25519.ts), loaded once. */
  private ed25519(): Promise<Ed25519Provider> {
    this.ed25519Provider ??= loadEd25519(this.secretKey);
    return this.ed25519Provider;
  }

  /** Checks the limits and encodes the unsigned envelope (buildEnvelope without the signature). */
  private prepareEnvelope(
    operation: OperationName | number,
    body: Uint8Array,
    options: RequestOptions,
  ): { readonly unsigned: Uint8Array; readonly requestId: Uint8Array } {
    const tag = typeof operation === 'number' ? operation : OP_TAGS[operation];
    const op = findOperation(tag);
    if (op !== undefined && body.length > op.bodyBytesMax) {
      throw new OmegaError('LIMIT_EXCEEDED', `${op.name} body exceeds ${op.bodyBytesMax} bytes`);
    }
    const validityMs = options.validityMs ?? 60_000;
    const now = this.now();
    const notBeforeMs = Math.max(0, now - this.clockSkewMs);
    const notAfterMs = now + validityMs;
    if (
      !Number.isSafeInteger(validityMs) ||
      validityMs < 0 ||
      notAfterMs - notBeforeMs > MACHINE_LIMITS.validityWindowMsMax
    ) {
      throw new OmegaError(
        'INVALID_WINDOW',
        `validity window must be within ${MACHINE_LIMITS.validityWindowMsMax} ms`,
      );
    }
    const requestId = this.random(REQUEST_ID_BYTES);
    const unsigned = encodeUnsignedEnvelope({
      version: MACHINE_LIMITS.envelopeVersion,
      chainId: this.cluster.chainId,
      principal: this.publicKey,
      requestId,
      notBeforeMs,
      notAfterMs,
      operation: tag,
      body,
    });
    return { unsigned, requestId };
  }

  /**
   * Sends a built envelope and collects replies until f+1 replicas agree, the deadline passes, or no
   * replica is left to try. Re-sending the same envelope is safe: replicas deduplicate its request id.
   */
  async submitEnvelope(envelope: BuiltEnvelope): Promise<Outcome> {
    const { f } = this.cluster;
    const quorum = f + 1;
    const controller = new AbortController();
    const order = this.contactOrder();
    const payload = JSON.stringify({ envelope: toBase64url(envelope.bytes) });
    const tally = new Map<
      string,
      { resultBytes: Uint8Array; result: RequestResult; signers: Map<number, Uint8Array> }
    >();
    const rejections = new Map<ErrorCode, Set<number>>();
    const culprits = new Set<number>();
    const notes: string[] = [];
    const inflight = new Map<number, Promise<[ReplicaEndpoint, Attempt]>>();
    let next = 0;
    /** Replicas to ask again (an uncertified reply with a pinned key: the certificate may follow). */
    const again: ReplicaEndpoint[] = [];
    const asked = new Map<number, number>();
    const launch = (): void => {
      const replica = order[next++] ?? again.shift();
      if (replica === undefined) return;
      asked.set(replica.index, (asked.get(replica.index) ?? 0) + 1);
      inflight.set(
        replica.index,
        this.attempt(replica, payload, envelope, controller.signal).then((a): [ReplicaEndpoint, Attempt] => [
          replica,
          a,
        ]),
      );
    };
    for (let i = 0; i < this.fanout; i++) launch();

    const timers: ReturnType<typeof setTimeout>[] = [];
    const after = <T>(ms: number, value: T): Promise<T> =>
      new Promise<T>((resolve) => {
        timers.push(setTimeout(() => resolve(value), ms));
      });
    const deadline = after(this.timeoutMs, 'deadline' as const);
    let hedge = after(this.hedgeMs, 'hedge' as const);
    const evidence = (): Evidence => ({ culprits: [...culprits].sort((a, b) => a - b) });
    try {
      while (inflight.size > 0) {
        const settled = await Promise.race([deadline, hedge, ...inflight.values()]);
        if (settled === 'hedge') {
          launch();
          hedge = after(this.hedgeMs, 'hedge' as const);
          continue;
        }
        if (settled === 'deadline') {
          return {
            outcome: 'unknown',
            reason: `no f+1 agreement within ${this.timeoutMs} ms (${summary(notes)})`,
            ...evidence(),
          };
        }
        const [replica, attempt] = settled;
        inflight.delete(replica.index);
        switch (attempt.kind) {
          case 'certified':
            // One certified reply is the service's word: t+1 replicas signed this block (docs/replies.md).
            return {
              ...decide({
                resultBytes: attempt.resultBytes,
                result: attempt.result,
                signers: new Map([[replica.index, attempt.signature]]),
                certificate: attempt.certificate,
              }),
              ...evidence(),
            };
          case 'reply': {
            if (this.serviceVerify !== undefined) {
              // Pinned service key: a replica's own signature is no longer enough (not a fault either:
              // the block may simply not have been certified in time).
              notes.push(`replica ${replica.index}: uncertified reply`);
              // Its block may be certified a moment later: ask it again (the re-sent envelope is
              // deduplicated and answered from the replica's cache, waiting for the certificate).
              if ((asked.get(replica.index) ?? 0) <= UNCERTIFIED_RETRIES_MAX) again.push(replica);
              break;
            }
            const key = toHex(attempt.resultBytes);
            let entry = tally.get(key);
            if (entry === undefined) {
              entry = { resultBytes: attempt.resultBytes, result: attempt.result, signers: new Map() };
              tally.set(key, entry);
            }
            entry.signers.set(replica.index, attempt.signature);
            if (entry.signers.size >= quorum) return { ...decide(entry), ...evidence() };
            notes.push(`replica ${replica.index}: signed result`);
            break;
          }
          case 'rejected': {
            notes.push(`replica ${replica.index}: ${attempt.code}`);
            if (DETERMINISTIC_REJECTIONS.has(attempt.code)) {
              const set = rejections.get(attempt.code) ?? new Set<number>();
              set.add(replica.index);
              rejections.set(attempt.code, set);
              if (set.size >= quorum) {
                return { outcome: 'fail', code: attempt.code, message: attempt.message, ...evidence() };
              }
            }
            break;
          }
          case 'culprit':
            culprits.add(replica.index);
            notes.push(`replica ${replica.index}: ${attempt.reason}`);
            break;
          case 'error':
            notes.push(`replica ${replica.index}: ${attempt.reason}`);
            break;
        }
        // Anything short of a decision: bring in one more replica, if any is left.
        launch();
      }
      return {
        outcome: 'unknown',
        reason: `no f+1 agreement from any replica (${summary(notes)})`,
        ...evidence(),
      };
    } finally {
      for (const t of timers) clearTimeout(t);
      lingerThenAbort(controller, [...inflight.values()]);
    }
  }

  /** Replica order for one request: a random rotation, so load spreads and no replica is always first. */
  private contactOrder(): ReplicaEndpoint[] {
    const replicas = [...this.cluster.replicas];
    const start = (this.random(1)[0]! * replicas.length) >> 8;
    return [...replicas.slice(start), ...replicas.slice(0, start)];
  }

  private async attempt(
    replica: ReplicaEndpoint,
    payload: string,
    envelope: BuiltEnvelope,
    signal: AbortSignal,
  ): Promise<Attempt> {
    let status: number;
    let text: string;
    try {
      const response = await this.fetchFn(`${replica.url.replace(/\/+$/, '')}/v1/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal,
      });
      status = response.status;
      text = await readLimited(response, this.replyBytesMax);
    } catch (e) {
      if (isOmegaError(e, 'LIMIT_EXCEEDED')) return { kind: 'culprit', reason: 'reply too large' };
      return { kind: 'error', reason: signal.aborted ? 'aborted' : 'unreachable' };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return status === 200
        ? { kind: 'culprit', reason: 'reply is not JSON' }
        : { kind: 'error', reason: `HTTP ${status}` };
    }
    if (status !== 200) {
      const code = errorCodeOf(json);
      if (code === undefined) return { kind: 'error', reason: `HTTP ${status}` };
      return { kind: 'rejected', code: code.code, message: code.message };
    }
    try {
      return await this.verifyReply(replica, json, envelope);
    } catch (e) {
      if (isOmegaError(e)) return { kind: 'culprit', reason: e.message };
      throw e;
    }
  }

  /** Checks shape, signer, signature and binding of one reply; throws BAD_REPLY (the sender is a culprit). */
  private async verifyReply(
    replica: ReplicaEndpoint,
    json: unknown,
    envelope: BuiltEnvelope,
  ): Promise<Attempt> {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw badReply('reply is not an object');
    const reply = json as Record<string, unknown>;
    const keys = Object.keys(reply).sort().join(',');
    if (keys !== 'replicaIndex,result,signature' && keys !== 'certificate,replicaIndex,result,signature') {
      throw badReply('reply has unexpected fields');
    }
    if (reply.replicaIndex !== replica.index) throw badReply('reply names another replica');
    if (typeof reply.result !== 'string' || typeof reply.signature !== 'string')
      throw badReply('reply fields must be strings');
    let resultBytes: Uint8Array;
    let signature: Uint8Array;
    let result: RequestResult;
    try {
      resultBytes = fromBase64url(reply.result);
      signature = fromBase64url(reply.signature);
      result = decodeResult(resultBytes);
    } catch (e) {
      throw badReply(`undecodable result: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (signature.length !== 64) throw badReply('signature must be 64 bytes');
    const message = replySignBytes(this.cluster.chainId, resultBytes);
    const valid = await (await this.ed25519()).verify(signature, message, replica.publicKey);
    if (!valid) throw badReply('reply signature does not verify');
    if (
      !equalBytes(result.envelopeHash, envelope.hash) ||
      !equalBytes(result.requestId, envelope.requestId) ||
      !equalBytes(result.principal, this.publicKey)
    ) {
      throw badReply('result is not bound to this request');
    }
    if (this.serviceVerify === undefined || reply.certificate === undefined) {
      return { kind: 'reply', resultBytes, result, signature };
    }
    if (typeof reply.certificate !== 'string' || reply.certificate.length > 2 * CERTIFICATE_BYTES_MAX) {
      throw new OmegaError('BAD_REPLY_CERTIFICATE', 'certificate must be a short base64url string');
    }
    let certificate: Uint8Array;
    try {
      certificate = fromBase64url(reply.certificate);
    } catch (cause) {
      throw new OmegaError('BAD_REPLY_CERTIFICATE', 'certificate is not base64url', { cause });
    }
    // Throws BAD_REPLY_CERTIFICATE unless the service key signed the block holding exactly these bytes.
    verifyCertifiedReply(
      this.cluster.servicePublicKey!,
      this.cluster.chainId,
      envelope.hash,
      { resultBytes, certificate },
      this.serviceVerify,
    );
    return { kind: 'certified', resultBytes, result, signature, certificate };
  }
}

/** How long requests still in flight after a decision may finish before they are aborted. */
const LINGER_MS = 500;

/**
 * Aborts the requests still in flight after a decision — but not at once: aborting an HTTP request in
 * flight destroys its keep-alive connection, so the next request to that replica pays a new TCP
 * connection on both sides. The other replicas' replies for the same block usually follow within
 * milliseconds; they are read (and ignored) for up to LINGER_MS, then whatever is left is aborted. The
 * timer does not keep a Node process alive (`unref` where the platform has it).
 */
function lingerThenAbort(controller: AbortController, pending: readonly Promise<unknown>[]): void {
  if (pending.length === 0) {
    controller.abort();
    return;
  }
  const timer: ReturnType<typeof setTimeout> & { unref?: () => void } = setTimeout(
    () => controller.abort(),
    LINGER_MS,
  );
  timer.unref?.();
  void Promise.allSettled(pending).then(() => clearTimeout(timer));
}

/** Turns f+1 matching signed results, or one certified result, into an outcome. */
function decide(entry: {
  resultBytes: Uint8Array;
  result: RequestResult;
  signers: Map<number, Uint8Array>;
  certificate?: Uint8Array;
}): Outcome {
  const { result } = entry;
  const signatures = [...entry.signers].map(([replicaIndex, signature]) => ({ replicaIndex, signature }));
  if (result.status.ok) {
    return {
      outcome: 'ok',
      result: {
        output: result.status.output,
        requestId: result.requestId,
        height: result.height,
        index: result.index,
        resultBytes: entry.resultBytes,
        signatures,
        ...(entry.certificate === undefined ? {} : { certificate: entry.certificate }),
      },
      culprits: [],
    };
  }
  if (result.status.code === 'DUPLICATE_REQUEST') {
    // The request id was applied earlier, so the request did take effect, but this is the replay's
    // result, not the original's: its outcome is not known from these replies.
    return {
      outcome: 'unknown',
      reason: 'the request was already applied earlier and its original result was not collected',
      culprits: [],
    };
  }
  return {
    outcome: 'fail',
    code: result.status.code,
    message: ERROR_CODES[result.status.code],
    culprits: [],
  };
}

function errorCodeOf(json: unknown): { code: ErrorCode; message: string } | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const error = (json as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code)) return undefined;
  return { code: code as ErrorCode, message: typeof message === 'string' ? message.slice(0, 300) : '' };
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new OmegaError('LIMIT_EXCEEDED', 'reply body too large');
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return new TextDecoder().decode(all);
}

/**
 * Min-sig BLS verification (draft-irtf-cfrg-bls-signature §2.7 CoreVerify, ciphersuite
 * BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_) with @noble/curves, under one fixed public key. Decoding
 * checks the curve and the subgroup (§5.3); the identity is refused explicitly (KeyValidate §2.5 for the
 * key; an identity signature would only verify under an identity key, refused here too).
 * Exported for checking certificates outside a request (audit of `AcceptedResult.certificate`):
 * `verifyCertifiedReply(pk, chainId, envelopeHash, reply, nobleServiceVerify(pk))`.
 */
export function nobleServiceVerify(publicKey: Uint8Array): BlsVerify {
  const pk = bls12_381.G2.Point.fromBytes(publicKey);
  if (pk.is0()) throw new OmegaError('IDENTITY_POINT', 'service public key is the identity');
  const short = bls12_381.shortSignatures;
  return cachedServiceVerify(publicKey, (_key, message, signature) => {
    const sig = short.Signature.fromBytes(signature);
    if (sig.is0()) return false;
    return short.verify(sig, short.hash(message, BLS_SIG_DST), pk);
  });
}

/**
 * Plain BLS verification (`BlsVerify`) through any {@link BlsBackend} — pass the mcl-wasm backend from
 * `loadBlsBackend()` as `ClientOptions.blsVerify` for native-speed certificate checks in Node. The
 * backend subgroup-checks the signature and KeyValidates the key (backend.ts `verifyG1`); a malformed
 * encoding is a signature that does not verify.
 */
export function blsBackendVerify(backend: Pick<BlsBackend, 'verifyG1'>): BlsVerify {
  return (key, message, signature) => {
    try {
      return backend.verifyG1(key, message, BLS_SIG_DST, signature);
    } catch {
      return false;
    }
  };
}

/**
 * `verify` restricted to the pinned `publicKey`, remembering successes. Every reply of one block
 * carries the same (statement, signature): verify that pair once (a pairing costs milliseconds even
 * natively) and remember the success. Keyed by the exact bytes, so a hit proves exactly what a fresh
 * check would; failures are not cached. Bounded (oldest out).
 */
function cachedServiceVerify(publicKey: Uint8Array, verify: BlsVerify): BlsVerify {
  const verified = new Set<string>();
  return (key, message, signature) => {
    if (!equalBytes(key, publicKey)) return false;
    const id = `${toHex(message)}/${toHex(signature)}`;
    if (verified.has(id)) return true;
    const valid = verify(publicKey, message, signature);
    if (valid) {
      verified.add(id);
      if (verified.size > VERIFIED_STATEMENTS_MAX) verified.delete(verified.values().next().value!);
    }
    return valid;
  };
}

/** Verified (block statement, signature) pairs an SDK client remembers. */
const VERIFIED_STATEMENTS_MAX = 256;

function validateCluster(cluster: ClusterConfig): void {
  const { replicas, f } = cluster;
  if (cluster.servicePublicKey !== undefined) {
    const pk = cluster.servicePublicKey;
    if (!(pk instanceof Uint8Array) || pk.length !== SERVICE_PUBLIC_KEY_BYTES) {
      throw new OmegaError('INVALID_LENGTH', `service public key must be ${SERVICE_PUBLIC_KEY_BYTES} bytes`);
    }
    try {
      nobleServiceVerify(pk);
    } catch (cause) {
      if (isOmegaError(cause)) throw cause;
      throw new OmegaError('INVALID_ENCODING', 'service public key is not a valid G2 point', { cause });
    }
  }
  if (!Number.isSafeInteger(f) || f < 0)
    throw new OmegaError('INVALID_ARGUMENT', 'f must be a non-negative integer');
  if (replicas.length < 3 * f + 1)
    throw new OmegaError('INVALID_ARGUMENT', `n = ${replicas.length} < 3f + 1`);
  const seen = new Set<number>();
  for (const r of replicas) {
    if (!Number.isSafeInteger(r.index) || r.index < 1 || seen.has(r.index)) {
      throw new OmegaError('INVALID_ARGUMENT', 'replica indices must be distinct positive integers');
    }
    seen.add(r.index);
    if (!(r.publicKey instanceof Uint8Array) || r.publicKey.length !== 32) {
      throw new OmegaError('INVALID_LENGTH', `replica ${r.index}: public key must be 32 bytes`);
    }
    if (!/^https?:\/\//.test(r.url))
      throw new OmegaError('INVALID_ARGUMENT', `replica ${r.index}: URL must be http(s)`);
  }
}

function badReply(message: string): OmegaError {
  return new OmegaError('BAD_REPLY', message);
}

function summary(notes: readonly string[]): string {
  return notes.length === 0 ? 'no replies' : notes.join('; ');
}

function webRandom(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}
