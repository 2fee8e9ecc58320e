/**
 * The registry's operations as the replicated state machine runs them (src/core/machine/operations.ts):
 * each decodes its body strictly, calls the {@link PublicKeyRegistry} method, and encodes the answer
 * canonically. A rejection is an OmegaError, which the machine turns into an error result with its code.
 *
 * Tags 0x0101–0x0104 are proposed for the machine's operation registry (the lead wires them in).
 *
 * Outputs (src/codec.ts):
 * - register: keyType u8 ‖ keyDigest 32 ‖ auditSeq u64
 * - lookup:   the {@link LookupAnswer} encoding (messages.ts)
 * - revoke:   keyDigest 32 ‖ auditSeq u64 ‖ optional CRL signing id (u8 0 | u8 1 ‖ 32)
 * - admin:    action kind u8 ‖ auditSeq u64 ‖ optional CRL signing id
 */
import { Writer } from '../../codec.js';
import type { Operation, OperationContext } from '../machine/operations.js';
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
  register: 0x0101,
  lookup: 0x0102,
  revoke: 0x0103,
  admin: 0x0104,
} as const;

function context(ctx: OperationContext): RegistryContext {
  return { height: ctx.height, timeMs: ctx.timeMs, principal: ctx.principal };
}

function writeCrl(w: Writer, crl: SigningRequest | undefined): Writer {
  return w.optional(crl, (ww, c) => ww.fixed(c.id, 32));
}

/** The four registry operations over one registry instance (the machine owns it). */
export function registryOperations(registry: () => PublicKeyRegistry): Operation[] {
  const L = REGISTRY_LIMITS;
  return [
    {
      tag: REGISTRY_OP_TAGS.register,
      name: 'registry.register',
      bodyBytesMax: 16 + L.principalNameBytesMax + L.spkiBytesMax + L.signatureBytesMax,
      execute: (ctx, body) => {
        const r = registry().register(context(ctx), decodeRegisterRequest(body));
        return new Writer().u8(KEY_TYPE_CODES[r.keyType]).fixed(r.keyDigest, 32).u64(r.auditSeq).finish();
      },
    },
    {
      tag: REGISTRY_OP_TAGS.lookup,
      name: 'registry.lookup',
      bodyBytesMax: 8 + L.principalNameBytesMax,
      execute: (ctx, body) => encodeLookupAnswer(registry().lookup(context(ctx), decodeLookupRequest(body))),
    },
    {
      tag: REGISTRY_OP_TAGS.revoke,
      name: 'registry.revoke',
      bodyBytesMax: 80 + L.principalNameBytesMax + L.signatureBytesMax,
      execute: (ctx, body) => {
        const r = registry().revoke(context(ctx), decodeRevokeRequest(body));
        return writeCrl(new Writer().fixed(r.keyDigest, 32).u64(r.auditSeq), r.crl).finish();
      },
    },
    {
      tag: REGISTRY_OP_TAGS.admin,
      name: 'registry.admin',
      bodyBytesMax: 8 + L.adminActionBytesMax + L.adminSignaturesMax * 96,
      execute: (ctx, body) => {
        const r = registry().admin(context(ctx), decodeSignedAdminAction(body));
        return writeCrl(new Writer().u8(ADMIN_ACTION_KINDS[r.kind]).u64(r.auditSeq), r.crl).finish();
      },
    },
  ];
}
