/**
 * Admission limits of a real replica that cannot decide (alone in a 4-replica cluster): a full mempool
 * refuses with OVERLOADED and admits nothing; an admitted request with no decision ends DECISION_TIMEOUT;
 * malformed envelopes are refused with their stable code before admission.
 */
import { afterAll, expect, it } from 'vitest';
import { isOmegaError } from '../../src/errors.js';
import { startReplica, type RunningReplica } from '../../src/runtime/replica/index.js';
import { clientFor, makeTestCluster, silentLogger, type TestCluster } from './replica-helpers.js';

let cluster: TestCluster | undefined;
let replica: RunningReplica | undefined;

afterAll(async () => {
  await replica?.close();
  cluster?.remove();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isOmegaError(e) ? e.code : String(e);
  }
}

it('a full mempool refuses with OVERLOADED; an undecided request ends DECISION_TIMEOUT; bad envelopes keep their code', async () => {
  cluster = await makeTestCluster(4, 'limits');
  replica = await startReplica(cluster.configs[0]!, {
    logger: silentLogger,
    tickMs: 10,
    mempoolMax: 1,
    decisionTimeoutMs: 300,
  });
  const client = clientFor(cluster.configs, new Map([[1, replica.apiUrl]]), 'replica-limits');
  expect(replica.node.isReady()).toBe(false);
  const first = replica.node.submit(client.buildEnvelope('ping', Uint8Array.from([1])).bytes);
  const second = replica.node.submit(client.buildEnvelope('ping', Uint8Array.from([2])).bytes);
  expect(await codeOf(second)).toBe('OVERLOADED');
  expect(await codeOf(first)).toBe('DECISION_TIMEOUT');
  expect(replica.status().queues.mempool).toBe(1);
  const envelope = client.buildEnvelope('ping', Uint8Array.from([3])).bytes;
  const tampered = Uint8Array.from(envelope);
  tampered[tampered.length - 1]! ^= 1;
  expect(await codeOf(replica.node.submit(tampered))).toBe('BAD_SIGNATURE');
  expect(await codeOf(replica.node.submit(envelope.subarray(0, 10)))).toBe('INVALID_ENCODING');
}, 30_000);
