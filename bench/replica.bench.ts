/**
 * The replica end to end: four in-process replicas (SQLite stores with fsync, TLS mesh, HTTP API) on
 * loopback, driven by the SDK (f+1 matching signed replies). Floor: one HTTP GET /v1/status round trip to
 * a replica in the same run — what a request costs before any consensus.
 */
import { measure, printTable } from './harness.js';
import { startReplica } from '../src/runtime/replica/index.js';
import { clientFor, makeTestCluster, silentLogger } from '../test/runtime/replica-helpers.js';

export async function run(): Promise<void> {
  const cluster = await makeTestCluster(4, 'bench');
  const replicas = await Promise.all(
    cluster.configs.map((c) => startReplica(c, { logger: silentLogger, tickMs: 10 })),
  );
  try {
    const deadline = Date.now() + 15_000;
    while (!replicas.every((r) => r.node.isReady()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const client = clientFor(cluster.configs, new Map(replicas.map((r) => [r.index, r.apiUrl])), 'bench');
    const statusUrl = `${replicas[0]!.apiUrl}/v1/status`;
    const floor = await measure('HTTP GET /v1/status', async () => {
      await (await fetch(statusUrl)).arrayBuffer();
    });
    let k = 0;
    const ping = await measure('SDK ping, one at a time', async () => {
      const o = await client.ping(Uint8Array.from([k++ & 0xff]));
      if (o.outcome !== 'ok') throw new Error(`ping ${o.outcome}`);
    });
    const batch = 64;
    const concurrent = await measure(
      `SDK ping, ${batch} concurrent (per batch)`,
      async () => {
        const outcomes = await Promise.all(
          Array.from({ length: batch }, () => client.ping(Uint8Array.from([k++ & 0xff]))),
        );
        if (outcomes.some((o) => o.outcome !== 'ok')) throw new Error('a concurrent ping failed');
      },
      { minSamples: 3 },
    );
    const perRequest = {
      ...concurrent,
      name: `SDK ping, ${batch} concurrent (per request)`,
      msPerOp: concurrent.msPerOp / batch,
      opsPerSec: (1000 * batch) / concurrent.msPerOp,
    };
    printTable('Replica: 4 in-process replicas, loopback, tickMs 10', [
      { name: floor.name, m: floor },
      { name: ping.name, m: ping, floor },
      { name: perRequest.name, m: perRequest, floor },
    ]);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    cluster.remove();
  }
}
