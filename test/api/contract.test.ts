import { replicaNodeContract } from './replica-node-contract.js';
import { FakeNode } from './fake-node.js';
import { client, envelope } from '../machine/helpers.js';
import { FakeCluster } from '../sdk/fake-cluster.js';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { OmegaClient } from '../../src/sdk/index.js';

replicaNodeContract('API test fake', () => {
  const alice = client('contract');
  return Promise.resolve({ node: new FakeNode(), ping: (body) => envelope(alice, { body }) });
});

replicaNodeContract('SDK test cluster replica', async () => {
  const cluster = await FakeCluster.start(4);
  const random = deterministicRandom('contract');
  const sdk = new OmegaClient({ cluster: cluster.config(), secretKey: random(32), random });
  return {
    node: cluster.replicas[0]!,
    ping: (body) => sdk.buildEnvelope('ping', body).bytes,
    close: () => cluster.stop(),
  };
});
