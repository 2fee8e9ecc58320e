/** `omega start --config FILE`: one replica in the foreground. */
import { OmegaError } from '../errors.js';
import type { CliIo } from './io.js';

export function runStart(configFile: string, _json: boolean, _io: CliIo): Promise<number> {
  return Promise.reject(
    new OmegaError('INTERNAL', `${configFile}: the replica runtime is not merged into this branch yet`),
  );
}
