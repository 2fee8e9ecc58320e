/**
 * The registry module of the replicated state machine (docs/registry.md, "In the cluster"): the
 * {@link PublicKeyRegistry} with its four operations, plus the glue to the certificate key:
 *
 * - When the service-keys module's DKG is done, the next block installs the certificate key and decides
 *   the self-signed CA certificate (block time, never a clock).
 * - Every signing request of the registry (CA certificate, end-entity certificates, CRLs) becomes a job
 *   of the FROST desk (src/core/signing/frost-desk.ts); when the desk has aggregated the signature, the
 *   next block hands it to the registry, which verifies it before it becomes a certificate.
 * - A CRL is decided on schedule (half its lifetime) as well as after every revocation.
 *
 * The map signing id → desk job is replicated state (in the snapshot), so every replica hands the same
 * signatures to the registry at the same block.
 */
import { Reader, Writer } from '../../codec.js';
import { fromHex, toHex } from '../../crypto/bytes.js';
import { OmegaError, invariant, isOmegaError } from '../../errors.js';
import type { BlockInfo, MachineModule, ModuleFactory, OperationHandler } from '../machine/module.js';
import type { ServiceKeysModule } from '../service-keys/module.js';
import { SERVICE_KEYS_MODULE } from '../service-keys/module.js';
import { registryHandlers } from './operations.js';
import { OP_TAGS } from '../machine/operations.js';
import type { RegistryConfig, RegistryGenesis } from './registry.js';
import { PublicKeyRegistry } from './registry.js';

export const REGISTRY_MODULE = 'registry';
const SNAPSHOT_VERSION = 1;
const REGISTRY_SNAPSHOT_BYTES_MAX = 128 * 1024 * 1024;
const JOBS_MAX = 1 << 16;

export interface RegistryModuleOptions {
  readonly config: Omit<RegistryConfig, 'chainId'>;
  readonly genesis: RegistryGenesis;
  /** Lifetime of the CA certificate (default 10 years). */
  readonly caLifetimeMs?: number;
}

export const DEFAULT_CA_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;

export class RegistryModule implements MachineModule {
  readonly handlers: ReadonlyMap<number, OperationHandler>;

  private constructor(
    private registryValue: PublicKeyRegistry,
    private readonly options: RegistryModuleOptions,
    /** Signing id (hex) → FROST desk job id; iterated in insertion (= block) order. */
    private readonly jobs: Map<string, number>,
  ) {
    const handlers = registryHandlers(() => this.registryValue);
    handlers.set(OP_TAGS['registry.audit-head'], () =>
      new Writer(48).u64(this.registryValue.auditLength).fixed(this.registryValue.auditHead, 32).finish(),
    );
    this.handlers = handlers;
  }

  static factory(options: RegistryModuleOptions): ModuleFactory<RegistryModule> {
    return {
      name: REGISTRY_MODULE,
      genesis: (init) =>
        new RegistryModule(
          PublicKeyRegistry.genesis({ ...options.config, chainId: init.chainId }, options.genesis),
          options,
          new Map(),
        ),
      restore: (init, bytes) => {
        const r = new Reader(bytes);
        const version = r.u8();
        if (version !== SNAPSHOT_VERSION) {
          throw new OmegaError('UNSUPPORTED_VERSION', `registry module snapshot version ${version}`);
        }
        const registry = PublicKeyRegistry.restore(
          { ...options.config, chainId: init.chainId },
          r.bytes(REGISTRY_SNAPSHOT_BYTES_MAX),
        );
        const jobs = new Map<string, number>();
        r.array(JOBS_MAX, (rr) => {
          const id = toHex(rr.fixed(32));
          if (jobs.has(id)) throw new OmegaError('NON_CANONICAL', 'signing id repeated');
          jobs.set(id, rr.u64Number());
        });
        r.end();
        return new RegistryModule(registry, options, jobs);
      },
    };
  }

  get registry(): PublicKeyRegistry {
    return this.registryValue;
  }

  beginBlock(block: BlockInfo): void {
    const keys = block.modules.get<ServiceKeysModule>(SERVICE_KEYS_MODULE);
    const desk = keys?.desk;
    const serviceKeys = keys?.keys();
    if (keys === undefined || desk === undefined || serviceKeys === undefined) return;
    const ctx = { height: block.height, timeMs: block.timeMs };
    const registry = this.registryValue;
    if (registry.caIdentity() === undefined) {
      registry.installCertificateKey(
        ctx,
        serviceKeys.result.certificate.publicKey,
        this.options.caLifetimeMs ?? DEFAULT_CA_LIFETIME_MS,
      );
    }
    if (registry.crlDue(block.timeMs)) registry.issueCrl(ctx);
    // Signatures the desk has finished go to the registry (which verifies them) in job order.
    for (const [id, jobId] of [...this.jobs]) {
      const job = desk.job(jobId);
      invariant(job !== undefined, `FROST job ${jobId} vanished`);
      if (job.state !== 'done') continue;
      this.jobs.delete(id);
      desk.forget(jobId);
      try {
        registry.completeSignature(fromHex(id), job.signature!);
      } catch (e) {
        // A superseded CRL or a pruned certificate is no longer pending: the signature is not needed.
        if (!isOmegaError(e, 'UNKNOWN_SIGNING_REQUEST')) throw e;
      }
    }
    // New signing requests become desk jobs.
    for (const request of registry.pendingSignatures()) {
      const id = toHex(request.id);
      if (this.jobs.has(id)) continue;
      try {
        this.jobs.set(id, keys.requestCertificateSignature(`x509/${request.kind}`, request.tbs));
      } catch (e) {
        // The desk is full: the request stays pending and is retried at the next block.
        if (!isOmegaError(e, 'CAPACITY_EXHAUSTED')) throw e;
        break;
      }
    }
    // The desk's own beginBlock ran before this one: start the new jobs' attempts in this block, not the next.
    desk.startPending(block.timeMs);
  }

  snapshot(): Uint8Array {
    const registry = this.registryValue.snapshot();
    const w = new Writer(registry.length + 64 + this.jobs.size * 48).u8(SNAPSHOT_VERSION).bytes(registry);
    w.array([...this.jobs], (ww, [id, job]) => ww.fixed(fromHex(id), 32).u64(job));
    return w.finish();
  }
}
