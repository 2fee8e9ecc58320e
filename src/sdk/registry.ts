/**
 * The registry from the client's side (docs/registry.md): administrators' k-of-m actions, registration
 * with proof of possession, lookups that wait for the certificate, revocation. Every answer comes through
 * {@link OmegaClient}, so it is accepted only as the SDK accepts any answer (a certified reply under the
 * pinned service key, or f+1 matching replica signatures before the DKG). Browser-safe.
 */
import { Reader } from '../codec.js';
import type { AdminAction, SignedAdminAction } from '../core/registry/admin.js';
import { adminSignBytes, encodeAdminAction, encodeSignedAdminAction } from '../core/registry/admin.js';
import type { RegistryKeyType } from '../core/registry/keys.js';
import { keyTypeFromCode, popMessage, revocationMessage } from '../core/registry/keys.js';
import type { LookupAnswer } from '../core/registry/messages.js';
import {
  decodeLookupAnswer,
  encodeLookupRequest,
  encodeRegisterRequest,
  encodeRevokeRequest,
} from '../core/registry/messages.js';
import type { OmegaClient, Outcome } from './client.js';

/** One administrator's signing capability (its Ed25519 key stays with it). */
export interface AdminSigner {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export type RegistryOutcome<T> =
  | { readonly outcome: 'ok'; readonly value: T; readonly height: number }
  | Exclude<Outcome, { outcome: 'ok' }>;

/** Lifetime of an admin action when none is given: one hour (its id is remembered until then). */
const ADMIN_ACTION_LIFETIME_MS = 3600_000;

export class RegistryClient {
  constructor(
    private readonly client: OmegaClient,
    private readonly chainId: string,
    private readonly random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Builds an admin action with a fresh id and collects the given administrators' signatures. */
  signAdminAction(
    action: AdminAction,
    signers: readonly AdminSigner[],
    lifetimeMs = ADMIN_ACTION_LIFETIME_MS,
  ): SignedAdminAction {
    const actionBytes = encodeAdminAction({
      chainId: this.chainId,
      actionId: this.random(16),
      notAfterMs: this.now() + lifetimeMs,
      action,
    });
    const message = adminSignBytes(actionBytes);
    return {
      actionBytes,
      signatures: signers.map((s) => ({ admin: s.publicKey, signature: s.sign(message) })),
    };
  }

  /** Submits a signed admin action (k of m signatures collected beforehand). */
  async admin(
    signed: SignedAdminAction,
  ): Promise<RegistryOutcome<{ auditSeq: number; crlSigningId?: Uint8Array }>> {
    return this.call('registry.admin', encodeSignedAdminAction(signed), (r) => {
      r.u8();
      const auditSeq = r.u64Number();
      const crl = r.optional((rr) => rr.fixed(32));
      return crl === undefined ? { auditSeq } : { auditSeq, crlSigningId: crl };
    });
  }

  /** The message a key signs to prove possession at registration. */
  popMessage(principal: string, keyDigest: Uint8Array): Uint8Array {
    return popMessage(this.chainId, principal, keyDigest);
  }

  /** The message a key signs to revoke itself. */
  revocationMessage(principal: string, keyDigest: Uint8Array, reason: number): Uint8Array {
    return revocationMessage(this.chainId, principal, keyDigest, reason);
  }

  async register(
    principal: string,
    spki: Uint8Array,
    proofOfPossession: Uint8Array,
  ): Promise<RegistryOutcome<{ keyType: RegistryKeyType; keyDigest: Uint8Array; auditSeq: number }>> {
    return this.call(
      'registry.register',
      encodeRegisterRequest({ principal, spki, proofOfPossession }),
      (r) => ({
        keyType: keyTypeFromCode(r.u8()),
        keyDigest: r.fixed(32),
        auditSeq: r.u64Number(),
      }),
    );
  }

  /** One ordered lookup (its answer may be `pending` while the certificate is being signed). */
  async lookup(principal: string, keyType: RegistryKeyType): Promise<RegistryOutcome<LookupAnswer>> {
    return this.callAll('registry.lookup', encodeLookupRequest({ principal, keyType }), decodeLookupAnswer);
  }

  /**
   * Looks up until the answer is final (a certificate, `unknown` or `revoked`), polling while the
   * certificate is `pending` (one FROST round, usually a few blocks), for at most `timeoutMs`.
   */
  async lookupCertificate(
    principal: string,
    keyType: RegistryKeyType,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<RegistryOutcome<LookupAnswer>> {
    const deadline = this.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const r = await this.lookup(principal, keyType);
      if (r.outcome !== 'ok' || r.value.status !== 'pending' || this.now() >= deadline) return r;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    }
  }

  async revoke(q: {
    principal: string;
    keyDigest: Uint8Array;
    reason: number;
    signerDigest: Uint8Array;
    signature: Uint8Array;
  }): Promise<RegistryOutcome<{ keyDigest: Uint8Array; auditSeq: number; crlSigningId?: Uint8Array }>> {
    return this.call('registry.revoke', encodeRevokeRequest(q), (r) => {
      const keyDigest = r.fixed(32);
      const auditSeq = r.u64Number();
      const crl = r.optional((rr) => rr.fixed(32));
      return crl === undefined ? { keyDigest, auditSeq } : { keyDigest, auditSeq, crlSigningId: crl };
    });
  }

  /** The audit log's length and chain head, ordered and vouched for like any answer. */
  async auditHead(): Promise<RegistryOutcome<{ length: number; head: Uint8Array }>> {
    return this.call('registry.audit-head', new Uint8Array(0), (r) => ({
      length: r.u64Number(),
      head: r.fixed(32),
    }));
  }

  private async call<T>(
    operation: 'registry.admin' | 'registry.register' | 'registry.revoke' | 'registry.audit-head',
    body: Uint8Array,
    decode: (r: Reader) => T,
  ): Promise<RegistryOutcome<T>> {
    return this.callAll(operation, body, (bytes) => {
      const r = new Reader(bytes);
      const value = decode(r);
      r.end();
      return value;
    });
  }

  private async callAll<T>(
    operation:
      'registry.admin' | 'registry.register' | 'registry.revoke' | 'registry.lookup' | 'registry.audit-head',
    body: Uint8Array,
    decode: (bytes: Uint8Array) => T,
  ): Promise<RegistryOutcome<T>> {
    // `ok` means f+1 (or the service key) vouch for a successful result; an error result is `fail`.
    const o = await this.client.request(operation, body);
    if (o.outcome !== 'ok') return o;
    return { outcome: 'ok', value: decode(o.result.output), height: o.result.height };
  }
}
