/** A registry with 3 administrators (k = 2), a FROST certificate key, and helpers to act on it. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { nodeEd25519Verify } from '../../src/api/ed25519.js';
import type { AdminAction, SignedAdminAction } from '../../src/core/registry/admin.js';
import { adminSignBytes, encodeAdminAction } from '../../src/core/registry/admin.js';
import type { RegistryKeyType } from '../../src/core/registry/keys.js';
import { popMessage } from '../../src/core/registry/keys.js';
import type { RegistryConfig, RegistryContext } from '../../src/core/registry/registry.js';
import { PublicKeyRegistry } from '../../src/core/registry/registry.js';
import { nodeKeySignatureVerify } from '../../src/runtime/registry/verify.js';
import { frostCa } from './frost-ca.js';
import { testKey } from './fixtures.js';

export const CHAIN = 'omega-registry-test';
export const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
export const HOUR = 3600_000;
export const CONFIG: RegistryConfig = {
  chainId: CHAIN,
  verifyKeySignature: nodeKeySignatureVerify,
  verifyEd25519: nodeEd25519Verify,
};
export const POLICY = { adminThreshold: 2, certLifetimeMs: 2 * HOUR, crlLifetimeMs: 24 * HOUR };

export interface Admin {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function admin(label: string): Admin {
  const seed = sha256(utf8(`omega/test/registry/admin/${label}`));
  return { publicKey: ed25519.getPublicKey(seed), sign: (m) => ed25519.sign(m, seed) };
}

export const ADMINS = [admin('a'), admin('b'), admin('c')];

/** An admin action signed by `signers`, with a fresh id from `counter`. */
let counter = 0;
export function signedAction(
  action: AdminAction,
  signers: readonly Admin[],
  opts: { notAfterMs?: number; chainId?: string; id?: number } = {},
): SignedAdminAction {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(12, opts.id ?? ++counter);
  const actionBytes = encodeAdminAction({
    chainId: opts.chainId ?? CHAIN,
    actionId: id,
    notAfterMs: opts.notAfterMs ?? T0 + 24 * HOUR,
    action,
  });
  const message = adminSignBytes(actionBytes);
  return {
    actionBytes,
    signatures: signers.map((a) => ({ admin: a.publicKey, signature: a.sign(message) })),
  };
}

/** A registry plus a block clock and a FROST certificate key. */
export class Harness {
  readonly registry = PublicKeyRegistry.genesis(CONFIG, {
    admins: ADMINS.map((a) => a.publicKey),
    policy: POLICY,
  });
  readonly ca = frostCa('registry/harness');
  height = 0;
  timeMs = T0;
  /** Action ids of this harness (a separate range from `signedAction`'s shared counter). */
  private actionIds = 1_000_000;

  ctx(advanceMs = 1000): RegistryContext {
    this.height++;
    this.timeMs += advanceMs;
    return { height: this.height, timeMs: this.timeMs, principal: new Uint8Array(32).fill(7) };
  }

  /** Runs every pending FROST signing round and stores the results. */
  signPending(): void {
    for (const p of this.registry.pendingSignatures())
      this.registry.completeSignature(p.id, this.ca.sign(p.tbs));
  }

  installCa(): void {
    this.registry.installCertificateKey(this.ctx(), this.ca.publicKey, 10 * 365 * 24 * HOUR);
    this.signPending();
  }

  authorize(principal: string, type: RegistryKeyType, label = 'a'): void {
    const k = testKey(type, label);
    this.registry.admin(
      this.ctx(),
      signedAction(
        { kind: 'authorize', principal, keyType: type, keyDigest: k.info.digest },
        [ADMINS[0]!, ADMINS[1]!],
        { id: ++this.actionIds },
      ),
    );
  }

  register(principal: string, type: RegistryKeyType, label = 'a') {
    const k = testKey(type, label);
    const pop =
      k.sign === undefined ? new Uint8Array(0) : k.sign(popMessage(CHAIN, principal, k.info.digest));
    return this.registry.register(this.ctx(), { principal, spki: k.info.spki, proofOfPossession: pop });
  }
}
