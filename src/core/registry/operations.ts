/**
 * The registry's operations as the replicated state machine runs them: each decodes its body strictly,
 * calls the {@link PublicKeyRegistry} method, and encodes the answer canonically. A rejection is an
 * OmegaError, which the machine turns into an error result with its code.
 *
 * Each entry carries the static description the machine's operation table needs (tag, name, body limit,
 * access) and a handler whose context is the part of the machine's operation context the registry reads
 * (request principal, block height and time), so it plugs into the machine as is. Tags are in the
 * registry's range 0x02xx.
 *
 * Outputs (src/codec.ts):
 * - register: keyType u8 ‖ keyDigest 32 ‖ auditSeq u64
 * - lookup:   the {@link LookupAnswer} encoding (messages.ts)
 * - revoke:   keyDigest 32 ‖ auditSeq u64 ‖ optional CRL signing id (u8 0 | u8 1 ‖ 32)
 * - admin:    action kind u8 ‖ auditSeq u64 ‖ optional CRL signing id
 */
import { Writer } from '../../codec.js';
import { ADMIN_ACTION_KINDS, decodeSignedAdminAction } from './admin.js';
import { KEY_TYPE_CODES } from './keys.js';
import { REGISTRY_LIMITS } from './limits.js';
import {
  decodeLookupRequest,
  decodeRegisterRequest,
  decodeRevokeRequest,
  encodeLookupAnswer,
} from './messages.js';
import type { PublicKeyRegistry, RegistryContext, SigningRequest } from './registry.js';

export const REGISTRY_OP_TAGS = {
  'registry.register': 0x0201,
  'registry.lookup': 0x0202,
  'registry.revoke': 0x0203,
  'registry.admin': 0x0204,
} as const;

/** What a registry handler reads from the machine's operation context (all replicated). */
export interface RegistryOperationContext {
  readonly principal: Uint8Array;
  readonly height: number;
  readonly timeMs: number;
}

/** One registry operation: its static description and its handler. */
export interface RegistryOperation {
  readonly tag: number;
  readonly name: keyof typeof REGISTRY_OP_TAGS;
  /** Largest body (checked statelessly before the handler runs). */
  readonly bodyBytesMax: number;
  /** Every registry operation is open to any client; authority comes from signatures inside the body. */
  readonly access: 'anyone';
  handle(ctx: RegistryOperationContext, body: Uint8Array): Uint8Array;
}

function context(ctx: RegistryOperationContext): RegistryContext {
  return { height: ctx.height, timeMs: ctx.timeMs, principal: ctx.principal };
}

function writeCrl(w: Writer, crl: SigningRequest | undefined): Writer {
  return w.optional(crl, (ww, c) => ww.fixed(c.id, 32));
}

/** The four registry operations over one registry instance (the machine owns it). */
export function registryOperations(registry: () => PublicKeyRegistry): RegistryOperation[] {
  const L = REGISTRY_LIMITS;
  return [
    {
      tag: REGISTRY_OP_TAGS['registry.register'],
      name: 'registry.register',
      access: 'anyone',
      bodyBytesMax: 16 + L.principalNameBytesMax + L.spkiBytesMax + L.signatureBytesMax,
      handle: (ctx, body) => {
        const r = registry().register(context(ctx), decodeRegisterRequest(body));
        return new Writer().u8(KEY_TYPE_CODES[r.keyType]).fixed(r.keyDigest, 32).u64(r.auditSeq).finish();
      },
    },
    {
      tag: REGISTRY_OP_TAGS['registry.lookup'],
      name: 'registry.lookup',
      access: 'anyone',
      bodyBytesMax: 8 + L.principalNameBytesMax,
      handle: (ctx, body) => encodeLookupAnswer(registry().lookup(context(ctx), decodeLookupRequest(body))),
    },
    {
      tag: REGISTRY_OP_TAGS['registry.revoke'],
      name: 'registry.revoke',
      access: 'anyone',
      bodyBytesMax: 80 + L.principalNameBytesMax + L.signatureBytesMax,
      handle: (ctx, body) => {
        const r = registry().revoke(context(ctx), decodeRevokeRequest(body));
        return writeCrl(new Writer().fixed(r.keyDigest, 32).u64(r.auditSeq), r.crl).finish();
      },
    },
    {
      tag: REGISTRY_OP_TAGS['registry.admin'],
      name: 'registry.admin',
      access: 'anyone',
      bodyBytesMax: 8 + L.adminActionBytesMax + L.adminSignaturesMax * 96,
      handle: (ctx, body) => {
        const r = registry().admin(context(ctx), decodeSignedAdminAction(body));
        return writeCrl(new Writer().u8(ADMIN_ACTION_KINDS[r.kind]).u64(r.auditSeq), r.crl).finish();
      },
    },
  ];
}
