/**
 * The contract every ReplicaNode implementation must meet (src/api/node.ts), as one reusable suite
 * (STYLE.md practice 9). Run here against the API test fake and a replica of the SDK test cluster; the
 * replica process runs it against the real thing.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { decodeResult, envelopeHash, replySignBytes } from '../../src/core/machine/index.js';
import type { ReplicaNode } from '../../src/api/node.js';

export interface ContractSubject {
  readonly node: ReplicaNode;
  /** A valid signed ping envelope for this node's chain and clock, with the given payload. */
  readonly ping: (payload: Uint8Array) => Uint8Array;
  readonly close?: () => Promise<void>;
}

export function replicaNodeContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`ReplicaNode contract: ${name}`, () => {
    it('info() describes a valid cluster that contains this replica', async () => {
      const { node, close } = await make();
      const info = node.info();
      expect(info.chainId.length).toBeGreaterThan(0);
      expect(info.n).toBeGreaterThanOrEqual(3 * info.f + 1);
      expect(info.replicas.some((r) => r.index === info.replicaIndex)).toBe(true);
      for (const r of info.replicas) expect(r.publicKey).toHaveLength(32);
      await close?.();
    });

    it('status() reports non-negative integers and peers other than itself', async () => {
      const { node, close } = await make();
      const s = node.status();
      for (const v of [s.height, s.round, s.lagHeights, ...Object.values(s.queues)]) {
        expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
      }
      for (const p of s.peers) expect(p.index).not.toBe(node.info().replicaIndex);
      await close?.();
    });

    it('submit() resolves with a result bound to the envelope, signed by this replica; a re-sent envelope gets the same reply', async () => {
      const { node, ping, close } = await make();
      const info = node.info();
      const key = info.replicas.find((r) => r.index === info.replicaIndex)!.publicKey;
      const payload = Uint8Array.from([1, 2, 3, 4]);
      const envelope = ping(payload);
      const [a, other] = await Promise.all([node.submit(envelope), node.submit(ping(Uint8Array.from([5])))]);
      expect(a.replicaIndex).toBe(info.replicaIndex);
      expect(ed25519.verify(a.signature, replySignBytes(info.chainId, a.resultBytes), key)).toBe(true);
      const result = decodeResult(a.resultBytes);
      expect(result.envelopeHash).toEqual(envelopeHash(envelope));
      expect(result.status).toEqual({ ok: true, output: payload });
      expect(decodeResult(other.resultBytes).status).toEqual({ ok: true, output: Uint8Array.from([5]) });
      const again = await node.submit(envelope);
      expect(again.resultBytes).toEqual(a.resultBytes);
      await close?.();
    });
  });
}
