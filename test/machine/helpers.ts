import { ed25519 } from '@noble/curves/ed25519.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import type { UnsignedEnvelope } from '../../src/core/machine/index.js';
import {
  MACHINE_LIMITS,
  OP_TAGS,
  attachSignature,
  encodeUnsignedEnvelope,
  requestSignBytes,
} from '../../src/core/machine/index.js';
import { nodeEd25519Verify } from '../../src/api/ed25519.js';

export const CHAIN = 'omega-test';
export const config = { chainId: CHAIN, verify: nodeEd25519Verify };

export interface TestClient {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  rng: (n: number) => Uint8Array;
}

export function client(seed: string): TestClient {
  const rng = deterministicRandom(seed);
  const secretKey = rng(32);
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey), rng };
}

/** Builds and signs an envelope; every field can be overridden. */
export function envelope(c: TestClient, over: Partial<UnsignedEnvelope> = {}): Uint8Array {
  const unsigned = encodeUnsignedEnvelope({
    version: MACHINE_LIMITS.envelopeVersion,
    chainId: CHAIN,
    principal: c.publicKey,
    requestId: c.rng(16),
    notBeforeMs: 1_000_000,
    notAfterMs: 1_060_000,
    operation: OP_TAGS.ping,
    body: Uint8Array.from([1, 2, 3]),
    ...over,
  });
  return attachSignature(unsigned, ed25519.sign(requestSignBytes(unsigned), c.secretKey));
}
