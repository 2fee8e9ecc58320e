/**
 * Administration without a single point of trust (ARCHITECTURE.md §2; Omega §6): an administrative action
 * takes effect only when k distinct current administrators (of m) signed it. The action is one canonical
 * byte string; each administrator signs it with Ed25519 under a domain-separation tag, and the signatures
 * are collected into one {@link SignedAdminAction} that goes through the log like any request.
 *
 * Action encoding (src/codec.ts: big-endian, u32 length prefixes):
 *
 * ```
 * version     u8 = 1
 * chainId     u32 len ‖ UTF-8 (≤ 64)       binds the action to one cluster
 * actionId    16 bytes                      unique; the registry remembers it until notAfter (replay)
 * notAfterMs  u64                           the action is refused after this block time
 * kind        u8                            1 authorize, 2 revoke, 3 set-policy, 4 add-admin, 5 remove-admin
 * body        per kind (below)
 * ```
 *
 * | kind          | body                                                                      |
 * |---------------|---------------------------------------------------------------------------|
 * | authorize     | principal (string ≤ 64) ‖ keyType u8 ‖ keyDigest 32                          |
 * | revoke        | principal ‖ keyDigest 32 ‖ reason u8 (RFC 5280 CRLReason)                   |
 * | set-policy    | adminThreshold u16 ‖ certLifetimeMs u64 ‖ crlLifetimeMs u64                  |
 * | add-admin     | publicKey 32 (Ed25519, prime order)                                       |
 * | remove-admin  | publicKey 32                                                              |
 *
 * Signed form: action bytes (u32 len ‖ bytes) ‖ u32 count ‖ count × (admin 32 ‖ signature 64), the
 * signatures sorted by admin key (strictly increasing: a repeated admin is DUPLICATE_ADMIN_SIGNATURE, any
 * other disorder NON_CANONICAL), so every set of signatures has one encoding.
 * Each signature is Ed25519 over `lengthPrefixed("omega/registry/admin/v1", actionBytes)`.
 */
import { Reader, Writer } from '../../codec.js';
import { OmegaError } from '../../errors.js';
import { lengthPrefixed, toHex, utf8 } from '../../crypto/bytes.js';
import { ED25519 } from '../../crypto/group.js';
import type { Ed25519Verify } from '../machine/envelope.js';
import type { RegistryKeyType } from './keys.js';
import { checkPrincipalName, KEY_TYPE_CODES, keyTypeFromCode } from './keys.js';
import {
  ADMIN_ACTION_ID_BYTES,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  KEY_DIGEST_BYTES,
  REGISTRY_LIMITS,
} from './limits.js';
import { isCrlReason } from './x509.js';

export const ADMIN_ACTION_VERSION = 1;
export const ADMIN_SIGN_TAG = 'omega/registry/admin/v1';

/** The registry policy that administrators may change. */
export interface RegistryPolicy {
  /** k: distinct administrator signatures an action needs (1 ≤ k ≤ m). */
  readonly adminThreshold: number;
  /** Lifetime of end-entity certificates (notAfter − notBefore). */
  readonly certLifetimeMs: number;
  /** Lifetime of a CRL (nextUpdate − thisUpdate); a new CRL is due after half of it. */
  readonly crlLifetimeMs: number;
}

export type AdminAction =
  | {
      readonly kind: 'authorize';
      readonly principal: string;
      readonly keyType: RegistryKeyType;
      readonly keyDigest: Uint8Array;
    }
  | {
      readonly kind: 'revoke';
      readonly principal: string;
      readonly keyDigest: Uint8Array;
      readonly reason: number;
    }
  | { readonly kind: 'set-policy'; readonly policy: RegistryPolicy }
  | { readonly kind: 'add-admin'; readonly publicKey: Uint8Array }
  | { readonly kind: 'remove-admin'; readonly publicKey: Uint8Array };

export const ADMIN_ACTION_KINDS = {
  authorize: 1,
  revoke: 2,
  'set-policy': 3,
  'add-admin': 4,
  'remove-admin': 5,
} as const;

/** An action with its replay-protection envelope. */
export interface AdminActionEnvelope {
  readonly chainId: string;
  readonly actionId: Uint8Array;
  readonly notAfterMs: number;
  readonly action: AdminAction;
}

export interface AdminSignature {
  readonly admin: Uint8Array;
  readonly signature: Uint8Array;
}

/** An action and the administrators' signatures over it. */
export interface SignedAdminAction {
  readonly actionBytes: Uint8Array;
  readonly signatures: readonly AdminSignature[];
}

/** Checks a policy against the administrator count m; throws INVALID_POLICY. */
export function checkPolicy(policy: RegistryPolicy, adminCount: number): void {
  const { adminThreshold: k, certLifetimeMs, crlLifetimeMs } = policy;
  const L = REGISTRY_LIMITS;
  if (!Number.isInteger(k) || k < 1 || k > adminCount) {
    throw new OmegaError('INVALID_POLICY', `admin threshold ${k} must be in 1..${adminCount}`);
  }
  const inRange = (v: number, lo: number, hi: number, unit: number): boolean =>
    Number.isSafeInteger(v) && v >= lo && v <= hi && v % unit === 0;
  // Certificate lifetimes are whole multiples of 2 s, so the half-lifetime windows (registry.ts
  // certificateWindow) start on whole seconds, which is all X.509 time can express.
  if (!inRange(certLifetimeMs, L.certLifetimeMsMin, L.certLifetimeMsMax, 2000)) {
    throw new OmegaError('INVALID_POLICY', 'certificate lifetime out of range (a multiple of 2 s)');
  }
  if (!inRange(crlLifetimeMs, L.crlLifetimeMsMin, L.crlLifetimeMsMax, 1000)) {
    throw new OmegaError('INVALID_POLICY', 'CRL lifetime out of range (whole seconds)');
  }
}

/** Checks an administrator key: 32 bytes, canonical Ed25519, prime order (a small-order key would sign anything). */
export function checkAdminKey(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new OmegaError('INVALID_LENGTH', 'an administrator key is a 32-byte Ed25519 key');
  }
  ED25519.decode(publicKey);
}

function writeAction(w: Writer, a: AdminAction): void {
  w.u8(ADMIN_ACTION_KINDS[a.kind]);
  switch (a.kind) {
    case 'authorize':
      w.string(a.principal).u8(KEY_TYPE_CODES[a.keyType]).fixed(a.keyDigest, KEY_DIGEST_BYTES);
      break;
    case 'revoke':
      w.string(a.principal).fixed(a.keyDigest, KEY_DIGEST_BYTES).u8(a.reason);
      break;
    case 'set-policy':
      w.u16(a.policy.adminThreshold).u64(a.policy.certLifetimeMs).u64(a.policy.crlLifetimeMs);
      break;
    case 'add-admin':
    case 'remove-admin':
      w.fixed(a.publicKey, ED25519_PUBLIC_KEY_BYTES);
      break;
    default:
      throw new OmegaError('INVALID_ARGUMENT', 'unknown admin action');
  }
}

function readAction(r: Reader): AdminAction {
  const kind = r.u8();
  const principal = (): string => {
    const p = r.string(REGISTRY_LIMITS.principalNameBytesMax);
    checkPrincipalName(p);
    return p;
  };
  switch (kind) {
    case ADMIN_ACTION_KINDS.authorize: {
      const p = principal();
      return {
        kind: 'authorize',
        principal: p,
        keyType: keyTypeFromCode(r.u8()),
        keyDigest: r.fixed(KEY_DIGEST_BYTES),
      };
    }
    case ADMIN_ACTION_KINDS.revoke: {
      const p = principal();
      const keyDigest = r.fixed(KEY_DIGEST_BYTES);
      const reason = r.u8();
      if (!isCrlReason(reason)) throw new OmegaError('OUT_OF_RANGE', `CRL reason ${reason}`);
      return { kind: 'revoke', principal: p, keyDigest, reason };
    }
    case ADMIN_ACTION_KINDS['set-policy']:
      return {
        kind: 'set-policy',
        policy: { adminThreshold: r.u16(), certLifetimeMs: r.u64Number(), crlLifetimeMs: r.u64Number() },
      };
    case ADMIN_ACTION_KINDS['add-admin']:
    case ADMIN_ACTION_KINDS['remove-admin']: {
      const publicKey = r.fixed(ED25519_PUBLIC_KEY_BYTES);
      checkAdminKey(publicKey);
      return { kind: kind === ADMIN_ACTION_KINDS['add-admin'] ? 'add-admin' : 'remove-admin', publicKey };
    }
    default:
      throw new OmegaError('INVALID_ENCODING', `unknown admin action kind ${kind}`);
  }
}

/** Canonical bytes of an action (what administrators sign). */
export function encodeAdminAction(e: AdminActionEnvelope): Uint8Array {
  if (e.actionId.length !== ADMIN_ACTION_ID_BYTES) {
    throw new OmegaError('INVALID_LENGTH', `action id is ${ADMIN_ACTION_ID_BYTES} bytes`);
  }
  const w = new Writer(128);
  w.u8(ADMIN_ACTION_VERSION).string(e.chainId).fixed(e.actionId, ADMIN_ACTION_ID_BYTES).u64(e.notAfterMs);
  writeAction(w, e.action);
  const bytes = w.finish();
  if (bytes.length > REGISTRY_LIMITS.adminActionBytesMax)
    throw new OmegaError('LIMIT_EXCEEDED', 'admin action too large');
  return bytes;
}

/** Strict decoder of {@link encodeAdminAction}. */
export function decodeAdminAction(bytes: Uint8Array): AdminActionEnvelope {
  if (bytes.length > REGISTRY_LIMITS.adminActionBytesMax)
    throw new OmegaError('LIMIT_EXCEEDED', 'admin action too large');
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== ADMIN_ACTION_VERSION)
    throw new OmegaError('UNSUPPORTED_VERSION', `admin action version ${version}`);
  const chainId = r.string(64);
  const actionId = r.fixed(ADMIN_ACTION_ID_BYTES);
  const notAfterMs = r.u64Number();
  const action = readAction(r);
  r.end();
  return { chainId, actionId, notAfterMs, action };
}

/** The bytes each administrator signs. */
export function adminSignBytes(actionBytes: Uint8Array): Uint8Array {
  return lengthPrefixed(utf8(ADMIN_SIGN_TAG), actionBytes);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Sorts signatures by admin key (the canonical order); duplicates are kept (the verifier names them). */
export function sortAdminSignatures(signatures: readonly AdminSignature[]): AdminSignature[] {
  return [...signatures].sort((x, y) => compareBytes(x.admin, y.admin));
}

/** Canonical bytes of a signed action (signatures sorted by admin key). */
export function encodeSignedAdminAction(s: SignedAdminAction): Uint8Array {
  const w = new Writer(s.actionBytes.length + 8 + s.signatures.length * 96);
  w.bytes(s.actionBytes);
  w.array(sortAdminSignatures(s.signatures), (ww, sig) =>
    ww.fixed(sig.admin, ED25519_PUBLIC_KEY_BYTES).fixed(sig.signature, ED25519_SIGNATURE_BYTES),
  );
  return w.finish();
}

/**
 * Strict decoder: DUPLICATE_ADMIN_SIGNATURE for a repeated admin, NON_CANONICAL for unsorted signatures,
 * LIMIT_EXCEEDED beyond the limits.
 */
export function decodeSignedAdminAction(bytes: Uint8Array): SignedAdminAction {
  const r = new Reader(bytes);
  const actionBytes = r.bytes(REGISTRY_LIMITS.adminActionBytesMax);
  const signatures = r.array(REGISTRY_LIMITS.adminSignaturesMax, (rr) => ({
    admin: rr.fixed(ED25519_PUBLIC_KEY_BYTES),
    signature: rr.fixed(ED25519_SIGNATURE_BYTES),
  }));
  r.end();
  for (let i = 1; i < signatures.length; i++) {
    const c = compareBytes(signatures[i - 1]!.admin, signatures[i]!.admin);
    if (c === 0) {
      throw new OmegaError(
        'DUPLICATE_ADMIN_SIGNATURE',
        `administrator ${toHex(signatures[i]!.admin)} signed twice`,
      );
    }
    if (c > 0) throw new OmegaError('NON_CANONICAL', 'admin signatures must be sorted by administrator key');
  }
  return { actionBytes, signatures };
}

/** What a quorum is checked against: the replicated administrator set and policy at this block. */
export interface AdminQuorumContext {
  readonly chainId: string;
  /** Current administrators (32-byte Ed25519 keys). */
  readonly admins: readonly Uint8Array[];
  readonly threshold: number;
  /** Block time. */
  readonly timeMs: number;
  readonly verify: Ed25519Verify;
}

/**
 * Verifies a signed action: chain, expiry and lifetime, then every signature. Every signer must be a
 * current administrator (NOT_AN_ADMIN), appear once (DUPLICATE_ADMIN_SIGNATURE) and sign validly
 * (BAD_SIGNATURE; `culprits` are the 1-based positions of the bad signers among the sorted current
 * administrators); at least k must sign (ADMIN_QUORUM_NOT_MET). Replay (the action id) is checked by the
 * registry state, which remembers ids.
 *
 * @returns the decoded action and the signers (sorted).
 */
export function verifyAdminQuorum(
  signed: SignedAdminAction,
  ctx: AdminQuorumContext,
): { envelope: AdminActionEnvelope; signers: Uint8Array[] } {
  const envelope = decodeAdminAction(signed.actionBytes);
  if (envelope.chainId !== ctx.chainId) {
    throw new OmegaError('WRONG_CHAIN', `admin action is for chain ${JSON.stringify(envelope.chainId)}`);
  }
  if (ctx.timeMs > envelope.notAfterMs) throw new OmegaError('ADMIN_ACTION_EXPIRED', 'admin action expired');
  if (envelope.notAfterMs - ctx.timeMs > REGISTRY_LIMITS.adminActionLifetimeMsMax) {
    throw new OmegaError('ADMIN_ACTION_EXPIRED', 'admin action lifetime exceeds the maximum');
  }
  const sorted = sortAdminSignatures(signed.signatures);
  const adminHex = [...ctx.admins].map(toHex).sort();
  const seen = new Set<string>();
  const message = adminSignBytes(signed.actionBytes);
  const bad: number[] = [];
  const signers: Uint8Array[] = [];
  for (const sig of sorted) {
    const hex = toHex(sig.admin);
    if (seen.has(hex)) throw new OmegaError('DUPLICATE_ADMIN_SIGNATURE', `administrator ${hex} signed twice`);
    seen.add(hex);
    const position = adminHex.indexOf(hex);
    if (position < 0) throw new OmegaError('NOT_AN_ADMIN', `${hex} is not a current administrator`);
    let ok = false;
    try {
      ok = ctx.verify(sig.admin, message, sig.signature);
    } catch {
      ok = false;
    }
    if (ok) signers.push(sig.admin);
    else bad.push(position + 1);
  }
  if (bad.length > 0) {
    throw new OmegaError('BAD_SIGNATURE', `bad administrator signatures at positions ${bad.join(', ')}`, {
      culprits: bad,
    });
  }
  if (signers.length < ctx.threshold) {
    throw new OmegaError(
      'ADMIN_QUORUM_NOT_MET',
      `${signers.length} administrator signatures, ${ctx.threshold} needed`,
    );
  }
  return { envelope, signers };
}
