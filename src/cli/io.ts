/**
 * What every command shares: its output streams, the exit codes, usage errors, and how the CLI finds a
 * cluster and the user's client key (docs/operations.md, "The omega command").
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OmegaError } from '../errors.js';
import { fromHex, toHex } from '../crypto/bytes.js';

/** Exit codes (docs/operations.md, "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** The operation failed, or its outcome is unknown. */
  FAILED: 1,
  /** Unknown command or option, missing or invalid value. */
  USAGE: 2,
  /** No replica of the cluster answered. */
  UNREACHABLE: 3,
} as const;

/** Where a command writes; injected so tests run commands in-process. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export function usage(message: string): OmegaError {
  return new OmegaError('USAGE', message);
}

/** Parses a decimal integer option in [min, max] or throws a USAGE error naming the option. */
export function intOption(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value)) throw usage(`--${name} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw usage(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

/** The default cluster of `omega dev` (relative to the working directory); in .gitignore. */
export const DEFAULT_DEV_DIR = join('.omega', 'dev');

/**
 * The client file a command talks to: `--cluster FILE` (a client.json, or a cluster directory holding
 * one), else `$OMEGA_CLUSTER`, else the `omega dev` default `./.omega/dev/client.json` if it exists.
 */
export function findClientFile(option: string | undefined, io: CliIo): string {
  const given = option ?? io.env.OMEGA_CLUSTER;
  if (given === undefined || given === '') {
    const fallback = resolve(io.cwd, DEFAULT_DEV_DIR, 'client.json');
    if (existsSync(fallback)) return fallback;
    throw usage(
      'no cluster given: pass --cluster FILE or set OMEGA_CLUSTER (a client.json or its directory)',
    );
  }
  const path = resolve(io.cwd, given);
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, 'client.json');
  return path;
}

/**
 * The user's Ed25519 client secret key: `--key FILE`, else `cli-key` beside the client file, created
 * on first use with mode 0600. The file holds 64 hex digits; the key is never printed.
 */
export function loadOrCreateClientKey(
  keyOption: string | undefined,
  clientFile: string,
  io: CliIo,
): Uint8Array {
  const path = keyOption === undefined ? join(dirname(clientFile), 'cli-key') : resolve(io.cwd, keyOption);
  if (!existsSync(path)) {
    if (keyOption !== undefined) throw new OmegaError('INVALID_CONFIG', `${path}: key file does not exist`);
    writeFileSync(path, `${toHex(new Uint8Array(randomBytes(32)))}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new OmegaError('INVALID_CONFIG', `${path}: cannot read the client key`, { cause });
  }
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new OmegaError('INVALID_CONFIG', `${path}: the client key file must hold 64 lower-case hex digits`);
  return fromHex(text);
}
