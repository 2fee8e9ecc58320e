/** The replica's own transactions (src/runtime/replica/own-requests.ts): re-posting and bounded memory. */
import { describe, expect, it } from 'vitest';
import { nodeEd25519Signer, nodeEd25519Verify } from '../../src/api/ed25519.js';
import { checkEnvelope } from '../../src/core/machine/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { OWN_REQUEST_VALIDITY_MS, OwnRequests } from '../../src/runtime/replica/own-requests.js';

function setup() {
  const seed = deterministicRandom('own-requests/identity')(32);
  const clock = { now: 1_700_000_000_000 };
  const admitted: Uint8Array[] = [];
  const own = new OwnRequests({
    chainId: 'omega-test',
    identityPublicKey: ed25519.getPublicKey(seed),
    sign: nodeEd25519Signer(seed),
    admit: (e) => admitted.push(e),
    now: () => clock.now,
    random: deterministicRandom('own-requests/ids'),
  });
  return { own, clock, admitted };
}

describe('own requests', () => {
  it('does not repeat a post while it may be decided, and re-sends a valid envelope after its window', () => {
    const { own, clock, admitted } = setup();
    expect(own.post('k', 'ping', () => new Uint8Array([1]))).toBe(true);
    clock.now += OWN_REQUEST_VALIDITY_MS;
    expect(own.post('k', 'ping', () => new Uint8Array([1]))).toBe(false);
    clock.now += 1;
    expect(own.post('k', 'ping', () => new Uint8Array([1]))).toBe(true);
    expect(admitted).toHaveLength(2);
    for (const e of admitted) checkEnvelope(e, { chainId: 'omega-test', verify: nodeEd25519Verify });
  });

  it('memory stays bounded: keys never posted again are forgotten once their window closed', () => {
    // One new key per second for 20 windows (like FROST commitment batches `frost/commit/<seq>`): only
    // the keys of the last window may still be decided, so at most that many are remembered.
    const { own, clock } = setup();
    const windows = 20;
    const perWindow = OWN_REQUEST_VALIDITY_MS / 1000;
    for (let k = 0; k < windows * perWindow; k++) {
      expect(own.post(`frost/commit/${8 * k}`, 'ping', () => new Uint8Array([k & 0xff]))).toBe(true);
      clock.now += 1000;
    }
    expect(own.size).toBeLessThanOrEqual(perWindow + 1);
  });
});
