/**
 * The registry's operations as the replicated state machine runs them (src/core/machine/operations.ts):
 * each decodes its body strictly, calls the {@link PublicKeyRegistry} method, and encodes the answer
 * canonically. A rejection is an OmegaError, which the machine turns into an error result with its code.
 *
 * Tags 0x0201–0x0204 (src/core/machine/operations.ts); the registry module (module.ts) installs them.
 *
 * Outputs (src/codec.ts):
 * - register: keyType u8 ‖ keyDigest 32 ‖ auditSeq u64
 * - lookup:   the {@link LookupAnswer} encoding (messages.ts)
 * - revoke:   keyDigest 32 ‖ auditSeq u64 ‖ optional CRL signing id (u8 0 | u8 1 ‖ 32)
 * - admin:    action kind u8 ‖ auditSeq u64 ‖ optional CRL signing id
 */
import { Writer } from '../../codec.js';
import type { OperationContext, OperationHandler } from '../machine/module.js';
import { OP_TAGS } from '../machine/operations.js';
import { ADMIN_ACTION_KINDS, decodeSignedAdminAction } from './admin.js';
import { KEY_TYPE_CODES } from './keys.js';
import {
  decodeLookupRequest,
  decodeRegisterRequest,
  decodeRevokeRequest,
  encodeLookupAnswer,
} from './messages.js';
import type { PublicKeyRegistry, RegistryContext, SigningRequest } from './registry.js';

export const REGISTRY_OP_TAGS = {
  register: OP_TAGS['registry.register'],
  lookup: OP_TAGS['registry.lookup'],
  revoke: OP_TAGS['registry.revoke'],
  admin: OP_TAGS['registry.admin'],
} as const;

function context(ctx: OperationContext): RegistryContext {
  return { height: ctx.height, timeMs: ctx.timeMs, principal: ctx.principal };
}

function writeCrl(w: Writer, crl: SigningRequest | undefined): Writer {
  return w.optional(crl, (ww, c) => ww.fixed(c.id, 32));
}

/** The handlers of the four registry operations over one registry instance (the module owns it). */
export function registryHandlers(registry: () => PublicKeyRegistry): Map<number, OperationHandler> {
  return new Map<number, OperationHandler>([
    [
      REGISTRY_OP_TAGS.register,
      (ctx, body) => {
        const r = registry().register(context(ctx), decodeRegisterRequest(body));
        return new Writer().u8(KEY_TYPE_CODES[r.keyType]).fixed(r.keyDigest, 32).u64(r.auditSeq).finish();
      },
    ],
    [
      REGISTRY_OP_TAGS.lookup,
      (ctx, body) => encodeLookupAnswer(registry().lookup(context(ctx), decodeLookupRequest(body))),
    ],
    [
      REGISTRY_OP_TAGS.revoke,
      (ctx, body) => {
        const r = registry().revoke(context(ctx), decodeRevokeRequest(body));
        return writeCrl(new Writer().fixed(r.keyDigest, 32).u64(r.auditSeq), r.crl).finish();
      },
    ],
    [
      REGISTRY_OP_TAGS.admin,
      (ctx, body) => {
        const r = registry().admin(context(ctx), decodeSignedAdminAction(body));
        return writeCrl(new Writer().u8(ADMIN_ACTION_KINDS[r.kind]).u64(r.auditSeq), r.crl).finish();
      },
    ],
  ]);
}
