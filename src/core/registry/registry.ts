/**
 * The replicated state of the public key registry (Omega §4, §6; issue 7; docs/registry.md).
 *
 * A pure, deterministic object: every method is a function of (state, arguments), where the arguments
 * come from a decided block (block height and time, the request's principal, its body) — never a clock,
 * never randomness. Signature checks are injected (the same functions on every replica). A rejected
 * request throws an {@link OmegaError} *before* changing anything: every method validates fully, then
 * mutates.
 *
 * What it holds: the administrators and policy; authorizations (principal, key type → authorized digest);
 * principals with one current key per type and the history of earlier keys; revoked key digests (a
 * revoked key is never registered or certified again); issued certificates indexed by (principal, key,
 * validity window), so repeated lookups cost no signing round; pending signing requests (TBS bytes for
 * the replicas' FROST round); the CA certificate; the CRL number and the latest CRL; remembered admin
 * action ids (replay); the hash-chained audit log.
 *
 * Signing is outside: the state decides *what* to sign (a TBS, deterministic), the replica runs a FROST
 * round over it (src/crypto/frost.ts, research/protocol-design.md §5.3) and hands the aggregated signature
 * back through {@link PublicKeyRegistry.completeSignature}, which verifies it against the certificate key
 * before storing the assembled certificate or CRL.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Reader, Writer } from '../../codec.js';
import { OmegaError, invariant } from '../../errors.js';
import { equalBytes, fromHex, lengthPrefixed, toHex, utf8 } from '../../crypto/bytes.js';
import type { Ed25519Verify } from '../machine/envelope.js';
import type { AdminAction, RegistryPolicy, SignedAdminAction } from './admin.js';
import { checkAdminKey, checkPolicy, verifyAdminQuorum } from './admin.js';
import { AuditLog } from './audit.js';
import type { KeySignatureVerify, PublicKeyInfo, RegistryKeyType } from './keys.js';
import {
  canSign,
  checkPrincipalName,
  checkProofOfPossession,
  KEY_TYPE_CODES,
  KEY_TYPES,
  keyTypeFromCode,
  parsePublicKey,
  revocationMessage,
  safeVerify,
} from './keys.js';
import { ADMIN_ACTION_ID_BYTES, ED25519_PUBLIC_KEY_BYTES, REGISTRY_LIMITS } from './limits.js';
import type { LookupAnswer, LookupRequest, RegisterRequest, RevokeRequest } from './messages.js';
import type { CaIdentity, RevokedEntry, TbsKind } from './x509.js';
import {
  assembleSigned,
  buildCaTbs,
  buildCertificateTbs,
  buildCrlTbs,
  certificateSerial,
  checkCaIdentity,
  isCrlReason,
  SERIAL_BYTES,
  toSeconds,
} from './x509.js';

const L = REGISTRY_LIMITS;
export const REGISTRY_SNAPSHOT_VERSION = 1;
const ZERO_ACTOR = new Uint8Array(32);

/** Injected environment: the same on every replica of a cluster. */
export interface RegistryConfig {
  readonly chainId: string;
  /** Verifies PoP and revocation signatures of registered keys (src/runtime/registry/verify.ts). */
  readonly verifyKeySignature: KeySignatureVerify;
  /** Verifies administrator signatures and the FROST-aggregated certificate signatures. */
  readonly verifyEd25519: Ed25519Verify;
}

/** Set at `omega init`: the administrators and the initial policy. */
export interface RegistryGenesis {
  readonly admins: readonly Uint8Array[];
  readonly policy: RegistryPolicy;
}

/** What the registry needs to know about the request being applied (a subset of OperationContext). */
export interface RegistryContext {
  readonly height: number;
  readonly timeMs: number;
  /** The request's principal (Ed25519 key of the submitter), recorded in the audit log. */
  readonly principal?: Uint8Array;
}

export type KeyStatus = 'current' | 'superseded' | 'revoked';

interface KeyRecord {
  readonly info: PublicKeyInfo;
  readonly registeredAtMs: number;
  status: KeyStatus;
  revokedAtMs: number;
  reason: number;
}

interface PrincipalRecord {
  readonly name: string;
  /** Registration order. */
  readonly keys: KeyRecord[];
}

interface Authorization {
  readonly digest: Uint8Array;
  readonly authorizedAtMs: number;
}

interface CertificateRecord {
  readonly serial: Uint8Array;
  readonly principal: string;
  readonly digest: Uint8Array;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly tbs: Uint8Array;
  der: Uint8Array | undefined;
}

interface CaRecord {
  readonly publicKey: Uint8Array;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly tbs: Uint8Array;
  der: Uint8Array | undefined;
}

interface CrlRecord {
  readonly crlNumber: number;
  readonly thisUpdateMs: number;
  readonly nextUpdateMs: number;
  readonly tbs: Uint8Array;
  der: Uint8Array | undefined;
}

/** A TBS waiting for its FROST signature. */
export interface SigningRequest {
  /** SHA-256 of the TBS: names the request in the log. */
  readonly id: Uint8Array;
  readonly kind: 'certificate' | 'ca' | 'crl';
  readonly tbs: Uint8Array;
}

const SIGNING_KINDS = { certificate: 1, ca: 2, crl: 3 } as const;

const KEY_STATUS_CODES: Readonly<Record<KeyStatus, number>> = { current: 0, superseded: 1, revoked: 2 };

function keyStatusFromCode(c: number): KeyStatus {
  const s = (Object.keys(KEY_STATUS_CODES) as KeyStatus[]).find((k) => KEY_STATUS_CODES[k] === c);
  if (s === undefined) throw new OmegaError('INVALID_ENCODING', `unknown key status ${c}`);
  return s;
}

function authKey(principal: string, type: RegistryKeyType): string {
  return `${principal}\u0000${type}`;
}

function certIndexKey(
  principal: string,
  digest: Uint8Array,
  notBeforeMs: number,
  notAfterMs: number,
): string {
  return `${principal}\u0000${toHex(digest)}\u0000${notBeforeMs}\u0000${notAfterMs}`;
}

/** Sorted copy of a map's keys (canonical iteration for snapshots and CRLs). */
function sortedKeys<V>(m: ReadonlyMap<string, V>): string[] {
  return [...m.keys()].sort();
}

/** Results of the mutating operations (also encoded for replies by operations.ts). */
export interface RegisterResult {
  readonly keyType: RegistryKeyType;
  readonly keyDigest: Uint8Array;
  readonly auditSeq: number;
}

export interface RevokeResult {
  readonly keyDigest: Uint8Array;
  readonly auditSeq: number;
  /** The CRL signing request created by this revocation (undefined before the CA exists). */
  readonly crl: SigningRequest | undefined;
}

export interface AdminResult {
  readonly kind: AdminAction['kind'];
  readonly auditSeq: number;
  readonly crl: SigningRequest | undefined;
}

export class PublicKeyRegistry {
  private policyValue: RegistryPolicy;
  /** Hex of administrator keys, sorted. */
  private admins: string[];
  private readonly authorizations = new Map<string, Authorization>();
  private readonly principals = new Map<string, PrincipalRecord>();
  /** Revoked key digests (hex) → revocation time and reason: global and permanent. */
  private readonly revoked = new Map<string, { revokedAtMs: number; reason: number }>();
  /** Serial (hex) → certificate. */
  private readonly certificates = new Map<string, CertificateRecord>();
  /** (principal, digest, notBefore, notAfter) → serial (hex). */
  private readonly certIndex = new Map<string, string>();
  /** Signing id (hex) → request, in creation order (replicated: insertion order is block order). */
  private readonly pending = new Map<string, SigningRequest>();
  /** Signing id (hex) → serial (hex) of the certificate it signs (derived: rebuilt on restore). */
  private readonly pendingCertificates = new Map<string, string>();
  /** Key digest (hex) → serials (hex) of its certificates (derived index: CRLs and revocations). */
  private readonly certsByDigest = new Map<string, Set<string>>();
  /** Key digest (hex) → principals that registered it (derived index: revocations). */
  private readonly owners = new Map<string, string[]>();
  private ca: CaRecord | undefined;
  private crl: CrlRecord | undefined;
  /** The signed CRL before `crl`, served while `crl` waits for its signature. */
  private previousCrlDer: Uint8Array | undefined;
  private nextCrlNumber = 1;
  /** Admin action id (hex) → notAfterMs (replay protection until the action expires). */
  private readonly adminIds = new Map<string, number>();
  private audit: AuditLog;

  private constructor(
    private readonly config: RegistryConfig,
    policy: RegistryPolicy,
    admins: readonly Uint8Array[],
  ) {
    this.policyValue = policy;
    this.admins = admins.map(toHex).sort();
    this.audit = new AuditLog(config.chainId);
  }

  /** The state at `omega init`: administrators and policy, nothing registered, no CA yet. */
  static genesis(config: RegistryConfig, genesis: RegistryGenesis): PublicKeyRegistry {
    if (genesis.admins.length === 0 || genesis.admins.length > L.adminsMax) {
      throw new OmegaError('INVALID_POLICY', `need 1..${L.adminsMax} administrators`);
    }
    for (const a of genesis.admins) checkAdminKey(a);
    if (new Set(genesis.admins.map(toHex)).size !== genesis.admins.length) {
      throw new OmegaError('INVALID_POLICY', 'administrators must be distinct');
    }
    checkPolicy(genesis.policy, genesis.admins.length);
    return new PublicKeyRegistry(config, genesis.policy, genesis.admins);
  }

  get policy(): RegistryPolicy {
    return this.policyValue;
  }

  /** Current administrators (sorted). */
  get administrators(): Uint8Array[] {
    return this.admins.map(fromHex);
  }

  /** Head of the audit chain (32 bytes): covered by the state hash. */
  get auditHead(): Uint8Array {
    return this.audit.head;
  }

  /** Number of audit entries. */
  get auditLength(): number {
    return this.audit.length;
  }

  /** Encoded audit entries from `fromSeq` (1-based), at most `limit`. */
  auditEntries(fromSeq = 1, limit = 1000): Uint8Array[] {
    return this.audit.list(fromSeq, limit);
  }

  /** The CA certificate (DER), once signed. */
  caCertificate(): Uint8Array | undefined {
    return this.ca?.der;
  }

  /** The CA identity used in certificates, once the certificate key is installed. */
  caIdentity(): CaIdentity | undefined {
    return this.ca === undefined ? undefined : { chainId: this.config.chainId, publicKey: this.ca.publicKey };
  }

  /** The newest signed CRL (DER): the latest if signed, else the one before it (served until then). */
  latestCrl(): Uint8Array | undefined {
    return this.crl?.der ?? this.previousCrlDer;
  }

  /** Signing requests waiting for FROST, in the order they were decided. */
  pendingSignatures(): SigningRequest[] {
    return [...this.pending.values()];
  }

  // ── certificate key and signing ─────────────────────────────────────────────────────────────────

  /**
   * Installs the service certificate key (the FROST group key from the DKG) and decides the self-signed CA
   * certificate (validity [block time, block time + caLifetimeMs]). Called once, by the replica, when the
   * DKG of the certificate key completes. Returns the CA signing request.
   */
  installCertificateKey(ctx: RegistryContext, publicKey: Uint8Array, caLifetimeMs: number): SigningRequest {
    if (this.ca !== undefined)
      throw new OmegaError('INVALID_ARGUMENT', 'the certificate key is already installed');
    const ca: CaIdentity = { chainId: this.config.chainId, publicKey };
    checkCaIdentity(ca);
    if (!Number.isSafeInteger(caLifetimeMs) || caLifetimeMs < L.certLifetimeMsMin) {
      throw new OmegaError('OUT_OF_RANGE', 'CA lifetime out of range');
    }
    const notBeforeMs = toSeconds(ctx.timeMs);
    const notAfterMs = notBeforeMs + caLifetimeMs;
    const tbs = buildCaTbs(ca, notBeforeMs, notAfterMs);
    const request = this.addPending('ca', tbs);
    this.ca = { publicKey: publicKey.slice(), notBeforeMs, notAfterMs, tbs, der: undefined };
    this.audit.append(
      ctx.height,
      ctx.timeMs,
      'ca',
      ZERO_ACTOR,
      new Writer().fixed(publicKey, 32).u64(notBeforeMs).u64(notAfterMs).finish(),
    );
    return request;
  }

  /**
   * Stores the FROST-aggregated signature of a pending TBS after verifying it under the certificate key
   * (BAD_SIGNATURE otherwise: a bad aggregate must never become a certificate). Returns the DER of the
   * certificate or CRL. UNKNOWN_SIGNING_REQUEST if `id` is not pending.
   */
  completeSignature(id: Uint8Array, signature: Uint8Array): Uint8Array {
    const request = this.pending.get(toHex(id));
    if (request === undefined)
      throw new OmegaError('UNKNOWN_SIGNING_REQUEST', `no pending signing request ${toHex(id)}`);
    invariant(this.ca !== undefined, 'pending signatures exist only with a CA');
    let valid = false;
    try {
      valid = this.config.verifyEd25519(this.ca.publicKey, request.tbs, signature);
    } catch {
      valid = false;
    }
    if (!valid)
      throw new OmegaError(
        'BAD_SIGNATURE',
        'the aggregated signature does not verify under the certificate key',
      );
    const kind: TbsKind = request.kind === 'crl' ? 'crl' : 'certificate';
    const der = assembleSigned(kind, request.tbs, signature);
    this.pending.delete(toHex(id));
    if (request.kind === 'ca') this.ca.der = der;
    else if (request.kind === 'crl') {
      invariant(this.crl !== undefined && equalBytes(this.crl.tbs, request.tbs), 'pending CRL is the latest');
      this.crl.der = der;
    } else {
      const cert = this.certificates.get(this.pendingCertificates.get(toHex(id)) ?? '');
      invariant(cert !== undefined && equalBytes(cert.tbs, request.tbs), 'pending certificate has a record');
      cert.der = der;
      this.pendingCertificates.delete(toHex(id));
    }
    return der;
  }

  /** Adds a certificate record and its derived indexes (and its pending signing id if unsigned). */
  private addCertificate(c: CertificateRecord): void {
    const serialHex = toHex(c.serial);
    this.certificates.set(serialHex, c);
    this.certIndex.set(certIndexKey(c.principal, c.digest, c.notBeforeMs, c.notAfterMs), serialHex);
    const digestHex = toHex(c.digest);
    const set = this.certsByDigest.get(digestHex) ?? new Set<string>();
    set.add(serialHex);
    this.certsByDigest.set(digestHex, set);
    if (c.der === undefined) this.pendingCertificates.set(toHex(sha256(c.tbs)), serialHex);
  }

  /** Removes a certificate record, its indexes and, if unsigned, its signing request. */
  private dropCertificate(serialHex: string): void {
    const c = this.certificates.get(serialHex);
    if (c === undefined) return;
    if (c.der === undefined) {
      const id = toHex(sha256(c.tbs));
      this.pending.delete(id);
      this.pendingCertificates.delete(id);
    }
    this.certificates.delete(serialHex);
    this.certIndex.delete(certIndexKey(c.principal, c.digest, c.notBeforeMs, c.notAfterMs));
    const set = this.certsByDigest.get(toHex(c.digest));
    set?.delete(serialHex);
    if (set !== undefined && set.size === 0) this.certsByDigest.delete(toHex(c.digest));
  }

  /**
   * Adds a signing request. Certificates may fill all but one slot: the last is kept for the CRL, of which
   * at most one is pending (a new one supersedes it), so deciding a CRL — which follows a revocation that
   * has already changed the state — never fails for lack of room.
   */
  private addPending(kind: SigningRequest['kind'], tbs: Uint8Array): SigningRequest {
    if (kind !== 'crl' && this.pending.size >= L.pendingSignaturesMax - 1) {
      throw new OmegaError('CAPACITY_EXHAUSTED', 'too many certificates waiting for their signature');
    }
    const request: SigningRequest = { id: sha256(tbs), kind, tbs };
    this.pending.set(toHex(request.id), request);
    return request;
  }

  // ── CRL ─────────────────────────────────────────────────────────────────────────────────────────

  /** True when a new CRL is due at `timeMs`: none yet, or half of the current one's lifetime has passed. */
  crlDue(timeMs: number): boolean {
    if (this.ca === undefined) return false;
    if (this.crl === undefined) return true;
    return timeMs >= this.crl.thisUpdateMs + Math.floor((this.crl.nextUpdateMs - this.crl.thisUpdateMs) / 2);
  }

  /**
   * Decides a new CRL (after every revocation, and on schedule when {@link crlDue}): every certificate of a
   * revoked key that has not expired at thisUpdate, sorted by serial. A CRL still waiting for its signature
   * is superseded (dropped from the pending list): only the newest CRL is signed.
   */
  issueCrl(ctx: RegistryContext): SigningRequest {
    if (this.ca === undefined) throw new OmegaError('CA_NOT_READY', 'no certificate key yet');
    const thisUpdateMs = toSeconds(ctx.timeMs);
    const nextUpdateMs = thisUpdateMs + this.policyValue.crlLifetimeMs;
    // Certificates of revoked keys only, through the digest index: O(revoked certificates), not O(all).
    const listed: { serialHex: string; entry: RevokedEntry }[] = [];
    for (const [digestHex, r] of this.revoked) {
      for (const serialHex of this.certsByDigest.get(digestHex) ?? []) {
        const c = this.certificates.get(serialHex)!;
        if (c.der === undefined || c.notAfterMs < thisUpdateMs) continue;
        listed.push({ serialHex, entry: { serial: c.serial, revokedAtMs: r.revokedAtMs, reason: r.reason } });
      }
    }
    const entries = listed.sort((a, b) => (a.serialHex < b.serialHex ? -1 : 1)).map((x) => x.entry);
    const crlNumber = this.nextCrlNumber;
    const tbs = buildCrlTbs({
      ca: { chainId: this.config.chainId, publicKey: this.ca.publicKey },
      crlNumber,
      thisUpdateMs,
      nextUpdateMs,
      revoked: entries,
    });
    // Built without error: now mutate. A CRL still waiting for its signature is superseded.
    this.nextCrlNumber++;
    if (this.crl !== undefined && this.crl.der === undefined)
      this.pending.delete(toHex(sha256(this.crl.tbs)));
    const previousDer = this.crl?.der ?? this.previousCrlDer;
    this.crl = { crlNumber, thisUpdateMs, nextUpdateMs, tbs, der: undefined };
    const request = this.addPending('crl', tbs);
    // Keep serving the previous signed CRL until this one is signed.
    this.previousCrlDer = previousDer;
    this.audit.append(
      ctx.height,
      ctx.timeMs,
      'crl',
      ZERO_ACTOR,
      new Writer().u64(crlNumber).u64(thisUpdateMs).u32(entries.length).finish(),
    );
    return request;
  }

  // ── register ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Registers a key for a principal (Omega §4.1, §6): the key must be valid (keys.ts), not revoked, match the
   * digest k administrators authorized for (principal, key type), and come with a proof of possession if it
   * can sign. It becomes the principal's current key of its type; the previous one is kept as superseded.
   * The authorization is consumed.
   */
  register(ctx: RegistryContext, q: RegisterRequest): RegisterResult {
    checkPrincipalName(q.principal);
    const key = parsePublicKey(q.spki);
    const digestHex = toHex(key.digest);
    if (this.revoked.has(digestHex)) throw new OmegaError('KEY_REVOKED', 'this key was revoked');
    const auth = this.authorizations.get(authKey(q.principal, key.type));
    if (auth === undefined) {
      throw new OmegaError(
        'NOT_AUTHORIZED',
        `no authorization for a ${key.type} key of ${JSON.stringify(q.principal)}`,
      );
    }
    if (!equalBytes(auth.digest, key.digest)) {
      throw new OmegaError('KEY_DIGEST_MISMATCH', 'the key digest differs from the authorized one');
    }
    checkProofOfPossession(
      key,
      this.config.chainId,
      q.principal,
      q.proofOfPossession.length === 0 ? undefined : q.proofOfPossession,
      this.config.verifyKeySignature,
    );
    const record = this.principals.get(q.principal);
    if (record !== undefined) {
      if (record.keys.some((k) => equalBytes(k.info.digest, key.digest))) {
        throw new OmegaError('KEY_ALREADY_REGISTERED', 'this key is already registered for this principal');
      }
      if (record.keys.length >= L.keysPerPrincipalMax) {
        throw new OmegaError('LIMIT_EXCEEDED', `a principal has at most ${L.keysPerPrincipalMax} keys`);
      }
    } else if (this.principals.size >= L.principalsMax) {
      throw new OmegaError('CAPACITY_EXHAUSTED', 'the registry is full');
    }
    // Validated: mutate.
    const target = record ?? { name: q.principal, keys: [] };
    if (record === undefined) this.principals.set(q.principal, target);
    for (const k of target.keys)
      if (k.info.type === key.type && k.status === 'current') k.status = 'superseded';
    target.keys.push({ info: key, registeredAtMs: ctx.timeMs, status: 'current', revokedAtMs: 0, reason: 0 });
    this.authorizations.delete(authKey(q.principal, key.type));
    this.owners.set(digestHex, [...(this.owners.get(digestHex) ?? []), q.principal]);
    const entry = this.audit.append(
      ctx.height,
      ctx.timeMs,
      'register',
      ctx.principal ?? ZERO_ACTOR,
      new Writer()
        .string(q.principal)
        .u8(KEY_TYPE_CODES[key.type])
        .fixed(key.digest, 32)
        .bytes(key.spki)
        .finish(),
    );
    return { keyType: key.type, keyDigest: key.digest, auditSeq: entry.seq };
  }

  // ── lookup ──────────────────────────────────────────────────────────────────────────────────────

  /** The validity window of a certificate decided at `timeMs` for a key registered at `registeredAtMs`. */
  certificateWindow(timeMs: number, registeredAtMs: number): { notBeforeMs: number; notAfterMs: number } {
    // Windows of half a lifetime: a certificate decided in window w is valid from the window start to
    // start + lifetime, so whoever looks up during w gets at least half a lifetime of validity, and every
    // lookup in w returns the same cached certificate (Omega §4.3: short lifetimes instead of long CRLs).
    const step = this.policyValue.certLifetimeMs / 2;
    const windowStart = Math.floor(timeMs / step) * step;
    return {
      notBeforeMs: Math.max(windowStart, toSeconds(registeredAtMs)),
      notAfterMs: windowStart + this.policyValue.certLifetimeMs,
    };
  }

  /**
   * Looks up the current key of a type for a principal (Omega §4.2). Answers `unknown` (no such principal or
   * no key of that type), `revoked` (the latest key of that type was revoked and none replaced it),
   * `certificate` (cached for this validity window) or `pending` (a certificate was just decided and waits
   * for its FROST signature; the TBS is in {@link pendingSignatures}). CA_NOT_READY before the certificate
   * key exists.
   */
  lookup(ctx: RegistryContext, q: LookupRequest): LookupAnswer {
    checkPrincipalName(q.principal);
    if (!KEY_TYPES.includes(q.keyType)) throw new OmegaError('UNSUPPORTED_KEY_TYPE', String(q.keyType));
    const base = { principal: q.principal, keyType: q.keyType };
    const keys = (this.principals.get(q.principal)?.keys ?? []).filter((k) => k.info.type === q.keyType);
    const current = keys.find((k) => k.status === 'current');
    if (current === undefined) {
      const last = keys[keys.length - 1];
      if (last !== undefined && last.status === 'revoked') {
        return { status: 'revoked', ...base, keyDigest: last.info.digest, revokedAtMs: last.revokedAtMs };
      }
      return { status: 'unknown', ...base };
    }
    invariant(!this.revoked.has(toHex(current.info.digest)), 'a current key is never revoked');
    if (this.ca === undefined) throw new OmegaError('CA_NOT_READY', 'no certificate key yet');
    const { notBeforeMs, notAfterMs } = this.certificateWindow(ctx.timeMs, current.registeredAtMs);
    const indexKey = certIndexKey(q.principal, current.info.digest, notBeforeMs, notAfterMs);
    const existing = this.certIndex.get(indexKey);
    const digest = current.info.digest;
    if (existing !== undefined) {
      const c = this.certificates.get(existing)!;
      if (c.der !== undefined) {
        return {
          status: 'certificate',
          ...base,
          keyDigest: digest,
          spki: current.info.spki,
          certificate: c.der,
          notBeforeMs,
          notAfterMs,
        };
      }
      return { status: 'pending', ...base, keyDigest: digest, signingId: sha256(c.tbs) };
    }
    // First lookup in this window: decide the certificate.
    let attempt = 0;
    let serial = certificateSerial(this.config.chainId, q.principal, digest, notBeforeMs, attempt);
    while (this.certificates.has(toHex(serial))) {
      serial = certificateSerial(this.config.chainId, q.principal, digest, notBeforeMs, ++attempt);
    }
    const tbs = buildCertificateTbs({
      ca: { chainId: this.config.chainId, publicKey: this.ca.publicKey },
      principal: q.principal,
      key: current.info,
      serial,
      notBeforeMs,
      notAfterMs,
    });
    const request = this.addPending('certificate', tbs);
    this.addCertificate({
      serial,
      principal: q.principal,
      digest,
      notBeforeMs,
      notAfterMs,
      tbs,
      der: undefined,
    });
    this.audit.append(
      ctx.height,
      ctx.timeMs,
      'issue',
      ctx.principal ?? ZERO_ACTOR,
      new Writer()
        .string(q.principal)
        .fixed(digest, 32)
        .fixed(serial, SERIAL_BYTES)
        .u64(notBeforeMs)
        .u64(notAfterMs)
        .finish(),
    );
    return { status: 'pending', ...base, keyDigest: digest, signingId: request.id };
  }

  // ── revoke ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Revokes a key on the owner's signature (Omega §4.3, §6): the revoked key itself signs
   * {@link revocationMessage}; a key that cannot sign (X25519) is revoked by a current signing key of the
   * same principal. Anything else is REVOCATION_NOT_AUTHORIZED (administrators revoke through an admin
   * action). Decides a new CRL when the CA exists.
   */
  revoke(ctx: RegistryContext, q: RevokeRequest): RevokeResult {
    checkPrincipalName(q.principal);
    if (!isCrlReason(q.reason)) throw new OmegaError('OUT_OF_RANGE', `CRL reason ${q.reason}`);
    const record = this.principals.get(q.principal);
    const target = record?.keys.find((k) => equalBytes(k.info.digest, q.keyDigest));
    if (record === undefined || target === undefined)
      throw new OmegaError('UNKNOWN_KEY', 'no such key for this principal');
    if (target.status === 'revoked') throw new OmegaError('KEY_REVOKED', 'this key is already revoked');
    const signer = equalBytes(q.signerDigest, q.keyDigest)
      ? target
      : record.keys.find((k) => k.status === 'current' && equalBytes(k.info.digest, q.signerDigest));
    const message = revocationMessage(this.config.chainId, q.principal, q.keyDigest, q.reason);
    if (
      signer === undefined ||
      !canSign(signer.info.type) ||
      !safeVerify(this.config.verifyKeySignature, signer.info, message, q.signature)
    ) {
      throw new OmegaError(
        'REVOCATION_NOT_AUTHORIZED',
        'the revocation is not signed by the key or its principal',
      );
    }
    const how = signer === target ? 1 : 2;
    return this.applyRevocation(ctx, q.principal, q.keyDigest, q.reason, ctx.principal ?? ZERO_ACTOR, how);
  }

  /** Marks a digest revoked (everywhere), drops its pending certificates, audits, and decides a CRL. */
  private applyRevocation(
    ctx: RegistryContext,
    principal: string,
    digest: Uint8Array,
    reason: number,
    actor: Uint8Array,
    how: number,
  ): RevokeResult {
    const digestHex = toHex(digest);
    this.revoked.set(digestHex, { revokedAtMs: ctx.timeMs, reason });
    for (const name of this.owners.get(digestHex) ?? []) {
      for (const k of this.principals.get(name)!.keys) {
        if (toHex(k.info.digest) === digestHex && k.status !== 'revoked') {
          k.status = 'revoked';
          k.revokedAtMs = ctx.timeMs;
          k.reason = reason;
        }
      }
    }
    this.authorizations.forEach((a, key) => {
      if (equalBytes(a.digest, digest)) this.authorizations.delete(key);
    });
    // A revoked key is never certified again: a certificate still waiting for its signature is dropped
    // (it was never signed, so it needs no CRL entry either).
    for (const serialHex of [...(this.certsByDigest.get(digestHex) ?? [])]) {
      if (this.certificates.get(serialHex)!.der === undefined) this.dropCertificate(serialHex);
    }
    const entry = this.audit.append(
      ctx.height,
      ctx.timeMs,
      'revoke',
      actor,
      new Writer().string(principal).fixed(digest, 32).u8(reason).u8(how).finish(),
    );
    const crl = this.ca === undefined ? undefined : this.issueCrl(ctx);
    return { keyDigest: digest, auditSeq: entry.seq, crl };
  }

  // ── administration ──────────────────────────────────────────────────────────────────────────────

  /**
   * Applies a k-of-m administrative action (admin.ts): quorum, chain and expiry are verified against the
   * current administrators; the action id must not have been applied (ADMIN_ACTION_REPLAYED); then the
   * action is validated and applied.
   */
  admin(ctx: RegistryContext, signed: SignedAdminAction): AdminResult {
    this.pruneAdminIds(ctx.timeMs);
    const { envelope, signers } = verifyAdminQuorum(signed, {
      chainId: this.config.chainId,
      admins: this.administrators,
      threshold: this.policyValue.adminThreshold,
      timeMs: ctx.timeMs,
      verify: this.config.verifyEd25519,
    });
    const idHex = toHex(envelope.actionId);
    if (this.adminIds.has(idHex))
      throw new OmegaError('ADMIN_ACTION_REPLAYED', `admin action ${idHex} was already applied`);
    if (this.adminIds.size >= L.adminActionIdsMax)
      throw new OmegaError('CAPACITY_EXHAUSTED', 'too many live admin actions');
    const a = envelope.action;
    // Validate the action fully before any change.
    switch (a.kind) {
      case 'authorize':
        checkPrincipalName(a.principal);
        if (this.revoked.has(toHex(a.keyDigest))) throw new OmegaError('KEY_REVOKED', 'this key was revoked');
        if (
          !this.authorizations.has(authKey(a.principal, a.keyType)) &&
          this.authorizations.size >= L.authorizationsMax
        ) {
          throw new OmegaError('CAPACITY_EXHAUSTED', 'too many pending authorizations');
        }
        break;
      case 'revoke': {
        const target = this.principals
          .get(a.principal)
          ?.keys.find((k) => equalBytes(k.info.digest, a.keyDigest));
        const authorizedOnly = [...this.authorizations.entries()].some(
          ([k, v]) => k.startsWith(`${a.principal}\u0000`) && equalBytes(v.digest, a.keyDigest),
        );
        if (target === undefined && !authorizedOnly)
          throw new OmegaError('UNKNOWN_KEY', 'no such key for this principal');
        if (this.revoked.has(toHex(a.keyDigest)))
          throw new OmegaError('KEY_REVOKED', 'this key is already revoked');
        break;
      }
      case 'set-policy':
        checkPolicy(a.policy, this.admins.length);
        break;
      case 'add-admin':
        if (this.admins.includes(toHex(a.publicKey)))
          throw new OmegaError('INVALID_POLICY', 'already an administrator');
        if (this.admins.length >= L.adminsMax)
          throw new OmegaError('INVALID_POLICY', 'too many administrators');
        break;
      case 'remove-admin':
        if (!this.admins.includes(toHex(a.publicKey)))
          throw new OmegaError('INVALID_POLICY', 'not an administrator');
        if (this.admins.length - 1 < this.policyValue.adminThreshold) {
          throw new OmegaError('INVALID_POLICY', 'removing this administrator would leave fewer than k');
        }
        break;
      default:
        throw new OmegaError('INVALID_ARGUMENT', 'unknown admin action');
    }
    this.adminIds.set(idHex, envelope.notAfterMs);
    const body = new Writer()
      .bytes(signed.actionBytes)
      .array(signers, (w, s) => w.fixed(s, ED25519_PUBLIC_KEY_BYTES))
      .finish();
    let crl: SigningRequest | undefined;
    let auditSeq: number;
    if (a.kind === 'revoke') {
      this.audit.append(ctx.height, ctx.timeMs, 'admin', ZERO_ACTOR, body);
      const r = this.applyRevocation(ctx, a.principal, a.keyDigest, a.reason, ZERO_ACTOR, 3);
      crl = r.crl;
      auditSeq = r.auditSeq;
    } else {
      if (a.kind === 'authorize') {
        this.authorizations.set(authKey(a.principal, a.keyType), {
          digest: a.keyDigest.slice(),
          authorizedAtMs: ctx.timeMs,
        });
      } else if (a.kind === 'set-policy') {
        this.policyValue = a.policy;
      } else if (a.kind === 'add-admin') {
        this.admins = [...this.admins, toHex(a.publicKey)].sort();
      } else {
        this.admins = this.admins.filter((h) => h !== toHex(a.publicKey));
      }
      auditSeq = this.audit.append(ctx.height, ctx.timeMs, 'admin', ZERO_ACTOR, body).seq;
    }
    return { kind: a.kind, auditSeq, crl };
  }

  /** Forgets admin action ids whose action has expired: a replay of one is ADMIN_ACTION_EXPIRED anyway. */
  private pruneAdminIds(timeMs: number): void {
    for (const [id, notAfterMs] of this.adminIds) if (notAfterMs < timeMs) this.adminIds.delete(id);
  }

  /**
   * Drops certificates that expired before `timeMs`: no CRL lists an expired certificate (RFC 5280 §3.3,
   * and issueCrl skips them), and no lookup serves one. A certificate that expired while still waiting for
   * its signature is dropped with its signing request (it would be useless once signed). Deterministic;
   * the replica calls it at a fixed block schedule (O(certificates) per call).
   */
  pruneExpiredCertificates(timeMs: number): number {
    let dropped = 0;
    for (const [serialHex, c] of [...this.certificates]) {
      if (c.notAfterMs >= timeMs) continue;
      this.dropCertificate(serialHex);
      dropped++;
    }
    return dropped;
  }

  /** Keys of a principal, in registration order, with their status (for `omega key` listings). */
  keysOf(principal: string): { info: PublicKeyInfo; status: KeyStatus; registeredAtMs: number }[] {
    return (this.principals.get(principal)?.keys ?? []).map((k) => ({
      info: k.info,
      status: k.status,
      registeredAtMs: k.registeredAtMs,
    }));
  }

  // ── snapshot ────────────────────────────────────────────────────────────────────────────────────

  /** Canonical encoding of the whole registry state (docs/registry.md "Snapshot"). */
  snapshot(): Uint8Array {
    const w = new Writer(4096);
    w.u8(REGISTRY_SNAPSHOT_VERSION).string(this.config.chainId);
    w.u16(this.policyValue.adminThreshold)
      .u64(this.policyValue.certLifetimeMs)
      .u64(this.policyValue.crlLifetimeMs);
    w.array(this.admins, (ww, h) => ww.fixed(fromHex(h), 32));
    w.array(sortedKeys(this.authorizations), (ww, k) => {
      const [principal, type] = k.split('\u0000') as [string, RegistryKeyType];
      const a = this.authorizations.get(k)!;
      ww.string(principal).u8(KEY_TYPE_CODES[type]).fixed(a.digest, 32).u64(a.authorizedAtMs);
    });
    w.array(sortedKeys(this.principals), (ww, name) => {
      ww.string(name).array(this.principals.get(name)!.keys, (www, k) =>
        www
          .bytes(k.info.spki)
          .u64(k.registeredAtMs)
          .u8(KEY_STATUS_CODES[k.status])
          .u64(k.revokedAtMs)
          .u8(k.reason),
      );
    });
    w.array(sortedKeys(this.revoked), (ww, h) => {
      const r = this.revoked.get(h)!;
      ww.fixed(fromHex(h), 32).u64(r.revokedAtMs).u8(r.reason);
    });
    w.array(sortedKeys(this.certificates), (ww, h) => {
      const c = this.certificates.get(h)!;
      ww.fixed(c.serial, SERIAL_BYTES)
        .string(c.principal)
        .fixed(c.digest, 32)
        .u64(c.notBeforeMs)
        .u64(c.notAfterMs);
      ww.bytes(c.tbs).optional(c.der, (x, d) => x.bytes(d));
    });
    w.array([...this.pending.values()], (ww, p) => ww.u8(SIGNING_KINDS[p.kind]).bytes(p.tbs));
    w.optional(this.ca, (ww, ca) =>
      ww
        .fixed(ca.publicKey, 32)
        .u64(ca.notBeforeMs)
        .u64(ca.notAfterMs)
        .optional(ca.der, (x, d) => x.bytes(d)),
    );
    w.u64(this.nextCrlNumber);
    w.optional(this.crl, (ww, c) =>
      ww
        .u64(c.crlNumber)
        .u64(c.thisUpdateMs)
        .u64(c.nextUpdateMs)
        .bytes(c.tbs)
        .optional(c.der, (x, d) => x.bytes(d)),
    );
    w.optional(this.previousCrlDer, (ww, d) => ww.bytes(d));
    w.array(sortedKeys(this.adminIds), (ww, h) =>
      ww.fixed(fromHex(h), ADMIN_ACTION_ID_BYTES).u64(this.adminIds.get(h)!),
    );
    w.fixed(this.audit.head, 32).array(this.audit.list(), (ww, e) => ww.bytes(e));
    return w.finish();
  }

  /** SHA-256(lengthPrefixed("omega/registry-state/v1", snapshot)). */
  stateHash(): Uint8Array {
    return sha256(lengthPrefixed(utf8('omega/registry-state/v1'), this.snapshot()));
  }

  /**
   * Rebuilds a registry from {@link snapshot} bytes, strictly: wrong version or chain, unsorted or duplicate
   * entries (NON_CANONICAL), keys that do not parse, a broken audit chain (AUDIT_CHAIN_BROKEN), trailing
   * bytes. Keys are re-validated in full (RSA checks included), so restoring costs about one registration
   * per RSA key.
   */
  static restore(config: RegistryConfig, bytes: Uint8Array): PublicKeyRegistry {
    const r = new Reader(bytes);
    const version = r.u8();
    if (version !== REGISTRY_SNAPSHOT_VERSION)
      throw new OmegaError('UNSUPPORTED_VERSION', `registry snapshot ${version}`);
    if (r.string(64) !== config.chainId) throw new OmegaError('WRONG_CHAIN', 'snapshot is for another chain');
    const policy: RegistryPolicy = {
      adminThreshold: r.u16(),
      certLifetimeMs: r.u64Number(),
      crlLifetimeMs: r.u64Number(),
    };
    const admins = r.array(L.adminsMax, (rr) => rr.fixed(32));
    const reg = PublicKeyRegistry.genesis(config, { admins, policy });
    const sortedCheck = (keys: string[]): void => {
      for (let i = 1; i < keys.length; i++) {
        if (keys[i - 1]! >= keys[i]!)
          throw new OmegaError('NON_CANONICAL', 'snapshot entries must be sorted and unique');
      }
    };
    sortedCheck(admins.map(toHex));
    const auths = r.array(L.authorizationsMax, (rr) => {
      const principal = rr.string(L.principalNameBytesMax);
      checkPrincipalName(principal);
      const type = keyTypeFromCode(rr.u8());
      return {
        key: authKey(principal, type),
        value: { digest: rr.fixed(32), authorizedAtMs: rr.u64Number() },
      };
    });
    sortedCheck(auths.map((a) => a.key));
    for (const a of auths) reg.authorizations.set(a.key, a.value);
    const principals = r.array(L.principalsMax, (rr) => {
      const name = rr.string(L.principalNameBytesMax);
      checkPrincipalName(name);
      const keys = rr.array(L.keysPerPrincipalMax, (x) => ({
        info: parsePublicKey(x.bytes(L.spkiBytesMax)),
        registeredAtMs: x.u64Number(),
        status: keyStatusFromCode(x.u8()),
        revokedAtMs: x.u64Number(),
        reason: x.u8(),
      }));
      return { name, keys };
    });
    sortedCheck(principals.map((p) => p.name));
    for (const p of principals) {
      const current = p.keys.filter((k) => k.status === 'current').map((k) => k.info.type);
      if (new Set(current).size !== current.length) {
        throw new OmegaError('INVALID_ENCODING', `snapshot: ${p.name} has two current keys of one type`);
      }
      reg.principals.set(p.name, p);
      for (const k of p.keys) {
        const h = toHex(k.info.digest);
        reg.owners.set(h, [...(reg.owners.get(h) ?? []), p.name]);
      }
    }
    const revoked = r.array(L.principalsMax * L.keysPerPrincipalMax, (rr) => ({
      h: toHex(rr.fixed(32)),
      v: { revokedAtMs: rr.u64Number(), reason: rr.u8() },
    }));
    sortedCheck(revoked.map((x) => x.h));
    for (const x of revoked) reg.revoked.set(x.h, x.v);
    for (const p of principals) {
      for (const k of p.keys) {
        if ((k.status === 'revoked') !== reg.revoked.has(toHex(k.info.digest))) {
          throw new OmegaError('INVALID_ENCODING', 'snapshot: key status disagrees with the revocation list');
        }
      }
    }
    const certs = r.array(1 << 24, (rr) => {
      const serial = rr.fixed(SERIAL_BYTES);
      const principal = rr.string(L.principalNameBytesMax);
      const c: CertificateRecord = {
        serial,
        principal,
        digest: rr.fixed(32),
        notBeforeMs: rr.u64Number(),
        notAfterMs: rr.u64Number(),
        tbs: rr.bytes(8192),
        der: rr.optional((x) => x.bytes(8192)),
      };
      return c;
    });
    sortedCheck(certs.map((c) => toHex(c.serial)));
    for (const c of certs) reg.addCertificate(c);
    const pending = r.array(L.pendingSignaturesMax, (rr) => {
      const code = rr.u8();
      const kind = (Object.keys(SIGNING_KINDS) as SigningRequest['kind'][]).find(
        (k) => SIGNING_KINDS[k] === code,
      );
      if (kind === undefined) throw new OmegaError('INVALID_ENCODING', `unknown signing kind ${code}`);
      const tbs = rr.bytes(8192);
      return { id: sha256(tbs), kind, tbs };
    });
    for (const p of pending) {
      if (p.kind === 'certificate' && !reg.pendingCertificates.has(toHex(p.id))) {
        throw new OmegaError('INVALID_ENCODING', 'snapshot: a pending certificate has no record');
      }
      reg.pending.set(toHex(p.id), p);
    }
    const ca = r.optional((rr) => {
      const publicKey = rr.fixed(32);
      const notBeforeMs = rr.u64Number();
      const notAfterMs = rr.u64Number();
      const der = rr.optional((x) => x.bytes(8192));
      return {
        publicKey,
        notBeforeMs,
        notAfterMs,
        tbs: buildCaTbs({ chainId: config.chainId, publicKey }, notBeforeMs, notAfterMs),
        der,
      };
    });
    reg.ca = ca;
    reg.nextCrlNumber = r.u64Number();
    reg.crl = r.optional((rr) => ({
      crlNumber: rr.u64Number(),
      thisUpdateMs: rr.u64Number(),
      nextUpdateMs: rr.u64Number(),
      tbs: rr.bytes(1 << 24),
      der: rr.optional((x) => x.bytes(1 << 24)),
    }));
    reg.previousCrlDer = r.optional((rr) => rr.bytes(1 << 24));
    const ids = r.array(L.adminActionIdsMax, (rr) => ({
      h: toHex(rr.fixed(ADMIN_ACTION_ID_BYTES)),
      t: rr.u64Number(),
    }));
    sortedCheck(ids.map((x) => x.h));
    for (const x of ids) reg.adminIds.set(x.h, x.t);
    const head = r.fixed(32);
    const entries = r.array(L.auditEntriesMax, (rr) => rr.bytes(1 << 16));
    r.end();
    reg.audit = AuditLog.fromEntries(config.chainId, entries, head);
    return reg;
  }
}
