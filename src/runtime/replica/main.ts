/**
 * Replica process entry: `node --import tsx src/runtime/replica/main.ts --config replica-1/config.json
 * [--tick-ms 20]`. Prints one JSON line `{"ready":true,...}` on stdout once serving; SIGTERM/SIGINT stop
 * it gracefully (API, mesh, storage), exit code 0.
 */
import { parseArgs } from 'node:util';
import { loadReplicaConfig } from '../config.js';
import { jsonLogger, startReplica } from './replica.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      'tick-ms': { type: 'string' },
      'reconnect-max-ms': { type: 'string' },
    },
    strict: true,
  });
  if (values.config === undefined) throw new Error('usage: main.ts --config FILE [--tick-ms N]');
  const config = loadReplicaConfig(values.config);
  const tickMs = values['tick-ms'] === undefined ? undefined : Number(values['tick-ms']);
  const reconnectMaxMs =
    values['reconnect-max-ms'] === undefined ? undefined : Number(values['reconnect-max-ms']);
  const replica = await startReplica(config, {
    logger: jsonLogger(`replica-${config.replica.index}`),
    ...(tickMs !== undefined ? { tickMs } : {}),
    ...(reconnectMaxMs !== undefined ? { meshLimits: { reconnectMaxMs } } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ ready: true, index: replica.index, apiUrl: replica.apiUrl, meshPort: replica.meshPort })}\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    replica.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
