/**
 * The operation table: tag → static description (name, body limit, who may send it). The table is static
 * so that the stateless checks (`checkEnvelope`, the API, the SDK) know every operation without any
 * replicated state; the handlers that execute operations belong to the machine's modules
 * (src/core/machine/module.ts), which own the state those operations change.
 *
 * A tag is stable: it is never reused for a different operation. Ranges: 0x00xx machine, 0x01xx
 * service keys (DKG), 0x02xx registry.
 */
import { MACHINE_LIMITS } from './limits.js';

/** Who may send an operation. `committee`: only replicas of the committee (their identity keys). */
export type OperationAccess = 'anyone' | 'committee';

/** The static description of one operation. */
export interface OperationSpec {
  readonly tag: number;
  readonly name: string;
  /** Largest body this operation accepts (checked statelessly by `checkEnvelope`). */
  readonly bodyBytesMax: number;
  readonly access: OperationAccess;
}

/** Operation tags. Stable: a tag is never reused for a different operation. */
export const OP_TAGS = {
  ping: 0x0001,
  'dkg.epoch-key': 0x0101,
  'dkg.deal': 0x0102,
  'dkg.complaint': 0x0103,
  'frost.commit': 0x0104,
  'frost.share': 0x0105,
} as const;

export type OperationName = keyof typeof OP_TAGS;

const SPECS: readonly OperationSpec[] = [
  // The null operation of the Omega paper's benchmarks: a request ordered and answered, no application work.
  { tag: OP_TAGS.ping, name: 'ping', bodyBytesMax: MACHINE_LIMITS.pingBytesMax, access: 'anyone' },
  // Log-DKG transactions (docs/dkg.md, docs/service-keys.md): posted by replicas only.
  {
    tag: OP_TAGS['dkg.epoch-key'],
    name: 'dkg.epoch-key',
    bodyBytesMax: MACHINE_LIMITS.dkgBodyBytesMax,
    access: 'committee',
  },
  {
    tag: OP_TAGS['dkg.deal'],
    name: 'dkg.deal',
    bodyBytesMax: MACHINE_LIMITS.dkgBodyBytesMax,
    access: 'committee',
  },
  {
    tag: OP_TAGS['dkg.complaint'],
    name: 'dkg.complaint',
    bodyBytesMax: MACHINE_LIMITS.dkgBodyBytesMax,
    access: 'committee',
  },
  // FROST signing with the certificate key (docs/frost-signing.md): replicas only.
  { tag: OP_TAGS['frost.commit'], name: 'frost.commit', bodyBytesMax: 2048, access: 'committee' },
  { tag: OP_TAGS['frost.share'], name: 'frost.share', bodyBytesMax: 64, access: 'committee' },
];

const TABLE: ReadonlyMap<number, OperationSpec> = new Map(SPECS.map((s) => [s.tag, s]));

/** The operation with this tag, or undefined. */
export function findOperation(tag: number): OperationSpec | undefined {
  return TABLE.get(tag);
}

/** Every known operation, by ascending tag. */
export function allOperations(): readonly OperationSpec[] {
  return [...TABLE.values()].sort((a, b) => a.tag - b.tag);
}
