/**
 * Issue 7: "a FROST signer that withholds or corrupts its share is excluded and the certificate is still
 * issued" — on a real 4-replica cluster (t = 1): replica 2 sends corrupted FROST shares, replica 3 withholds
 * its shares. The CA certificate and an end-entity certificate are still issued by replicas 1 and 4, both
 * verify, and every replica's desk names exactly replicas 2 (bad share) and 3 (withheld).
 */
import { X509Certificate, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/core/registry/keys.js';
import type { RunningReplica } from '../../src/runtime/replica/index.js';
import { fromBase64url } from '../../src/sdk/index.js';
import type { TestCluster } from '../runtime/replica-helpers.js';
import { adminSigner, pinnedRegistry, registryCluster, until } from './cluster-helpers.js';

let cluster: TestCluster | undefined;
let replicas: RunningReplica[] = [];

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  cluster?.remove();
});

describe('FROST signers that misbehave on a real cluster', () => {
  it('a corrupting and a withholding signer are excluded and named; certificates are still issued', async () => {
    const faults = [undefined, 'corrupt', 'withhold', undefined] as const;
    ({ cluster, replicas } = await registryCluster('frost-faults', (i) => {
      const fault = faults[i - 1];
      return fault === undefined ? {} : { testFrostFault: fault };
    }));
    const registry = pinnedRegistry(cluster, replicas, 'frost-faults');
    const admins = [1, 2].map((i) => adminSigner(cluster!, i));
    // Certificates for principals until both misbehaving signers have been chosen (the desk rotates the
    // signer set with the job id) and caught; every certificate must still be issued.
    const certificates: Uint8Array[] = [];
    const caught = () =>
      new Set(replicas[0]!.node.serviceKeys().frost!.excluded.map((e) => `${e.signer}:${e.reason}`));
    for (let k = 0; k < 8 && !(caught().has('2:bad-share') && caught().has('3:withheld')); k++) {
      const name = `carol-${k}`;
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
      const info = parsePublicKey(spki);
      const auth = await registry.admin(
        registry.signAdminAction(
          { kind: 'authorize', principal: name, keyType: 'ed25519', keyDigest: info.digest },
          admins,
        ),
      );
      expect(auth.outcome, JSON.stringify(auth)).toBe('ok');
      const pop = new Uint8Array(nodeSign(null, registry.popMessage(name, info.digest), privateKey));
      expect((await registry.register(name, spki, pop)).outcome).toBe('ok');
      const found = await registry.lookupCertificate(name, 'ed25519', { timeoutMs: 60_000 });
      if (found.outcome !== 'ok' || found.value.status !== 'certificate')
        throw new Error(JSON.stringify(found));
      certificates.push(found.value.certificate);
    }
    expect([...caught()].sort()).toEqual(['2:bad-share', '3:withheld']);

    // The CA certificate's own signing job may finish after carol's (its first signers may include the
    // withholder, which costs it an attempt timeout): wait for it.
    const caB64 = await until(async () => {
      const pki = (await (await fetch(`${replicas[3]!.apiUrl}/v1/registry/pki`)).json()) as {
        caCertificate: string | null;
      };
      return pki.caCertificate ?? undefined;
    }, 60_000);
    const ca = new X509Certificate(Buffer.from(fromBase64url(caB64)));
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const der of certificates)
      expect(new X509Certificate(Buffer.from(der)).verify(ca.publicKey)).toBe(true);

    // Every replica names only the two misbehaving replicas, each for what it did (the desk is replicated
    // state: replicas behind the first see a prefix of the same list).
    for (const r of replicas) {
      for (const e of r.node.serviceKeys().frost!.excluded) {
        expect(['2:bad-share', '3:withheld']).toContain(`${e.signer}:${e.reason}`);
      }
    }
  }, 240_000);
});
