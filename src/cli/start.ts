/**
 * `omega start --config FILE`: one replica in the foreground (docs/operations.md).
 *
 * Logs go to stderr as JSON lines; stdout carries one line when the replica listens (text, or one JSON
 * object with --json), so a supervisor can wait for it. SIGINT/SIGTERM close the replica gracefully
 * (API, then mesh and timers, then storage: docs/replica.md) and the command exits 0; a second signal
 * during the close is ignored, the supervisor's SIGKILL being the escalation.
 */
import { loadReplicaConfig } from '../runtime/config.js';
import { jsonLogger, startReplica } from '../runtime/replica/index.js';
import type { CliIo } from './io.js';
import { EXIT } from './io.js';

export async function runStart(configFile: string, json: boolean, io: CliIo): Promise<number> {
  const config = loadReplicaConfig(configFile);
  const replica = await startReplica(config, { logger: jsonLogger(`replica-${config.replica.index}`) });
  const ready = {
    ready: true,
    index: replica.index,
    chainId: config.cluster.chainId,
    apiUrl: replica.apiUrl,
    meshPort: replica.meshPort,
  };
  if (json) io.out(`${JSON.stringify(ready)}\n`);
  else
    io.out(
      `replica ${replica.index} of ${config.cluster.chainId}: API ${replica.apiUrl}, mesh port ${replica.meshPort}\n`,
    );
  await new Promise<void>((res) => {
    process.once('SIGINT', res);
    process.once('SIGTERM', res);
  });
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  try {
    await replica.close();
    return EXIT.OK;
  } catch (e) {
    io.err(`error closing replica ${replica.index}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.FAILED;
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
  }
}
