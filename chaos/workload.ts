/**
 * Workloads of the chaos harness: what the clients send and how the checkers read the answers
 * (docs/reliability.md, "Workloads"). A workload is started once per run ({@link Workload.start}); it
 * gives each client a `step` that performs one operation through the SDK and records it in the history
 * through the {@link Recorder} (invoke before the request leaves, then exactly one completion), and names
 * the checkers that apply to its history (chaos/checkers.ts).
 *
 * - `ping`: ordered null requests, accepted on f+1 replica signatures.
 * - `ping-certified`: the same with the service key pinned: each accepted answer is one certified reply.
 * - `registry`: the public key registry (src/sdk/registry.ts RegistryClient, docs/registry.md) over a
 *   small key space with the service key pinned, so every accepted answer is a certified reply.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { nodeEd25519Verify } from '../src/api/ed25519.js';
import { concatBytes, equalBytes, fromHex, toHex } from '../src/crypto/bytes.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { keyDigest } from '../src/core/registry/keys.js';
import type { LookupAnswer } from '../src/core/registry/messages.js';
import { verifyIssuedCertificate } from '../src/core/registry/x509.js';
import {
  OmegaClient,
  RegistryClient,
  type ClientOptions,
  type Outcome,
  type RegistryOutcome,
  type RequestOptions,
} from '../src/sdk/index.js';
import type { OperationName } from '../src/core/machine/operations.js';
import {
  checkEchoes,
  checkIssuedCertificates,
  checkLinearizable,
  checkNoIssueAfterRevoke,
  registryModel,
  type CheckResult,
} from './checkers.js';
import type { ChaosCluster, PinnedServiceKeys } from './cluster.js';
import type { HistoryEvent, OpModel } from './history.js';
import { seededRng } from './rng.js';

/** A seeded source of floats in [0, 1) (chaos/rng.ts). */
export type Rng = () => number;

/** Writes operations into the run's history (chaos/run.ts owns the file and the clock). */
export interface Recorder {
  /** Records an invoke; returns the op id its completion must name. */
  invoke(client: number, model: OpModel, envelopeHash: Uint8Array): number;
  /** Records the one completion of op `id`, observed at time `t` (ms since the run started). */
  complete(id: number, outcome: Outcome, t: number, view?: CompletionView): void;
  /** ms since the run started. */
  clock(): number;
}

/** The model's reading of an accepted answer (default: the output bytes in hex). */
export interface CompletionView {
  readonly output?: string;
  readonly issued?: { readonly der: string; readonly notBeforeMs: number; readonly notAfterMs: number };
}

export interface WorkloadEnv {
  readonly seed: string;
  readonly cluster: ChaosCluster;
  readonly recorder: Recorder;
  /** Set when the workload pins the service key (the harness waited for the DKG and the CA). */
  readonly service: PinnedServiceKeys | undefined;
  /** Per-request deadline of the clients (ms). */
  readonly timeoutMs: number;
}

export interface WorkloadClient {
  /** Performs one operation (or a short sequence), recording each; resolves with the last outcome. */
  step(): Promise<Outcome['outcome']>;
}

export interface RunningWorkload {
  client(c: number): WorkloadClient;
  /**
   * Checkers specific to this workload (the generic ones always run). `decided`: envelope hashes the
   * final decided log executed (resolves `unknown` ops that never took effect).
   */
  check(history: readonly HistoryEvent[], decided: ReadonlySet<string>): CheckResult[];
}

export interface Workload {
  readonly name: string;
  /** Wait for the service keys and pin them in every client (registry answers need the CA). */
  readonly pinServiceKeys: boolean;
  /** Registry certificate lifetime of the run's cluster (ms), if the workload needs a specific one. */
  readonly certLifetimeMs?: number;
  start(env: WorkloadEnv): RunningWorkload;
}

/** Submits a built envelope, recording invoke and completion around it. */
async function recorded(
  env: WorkloadEnv,
  c: number,
  client: OmegaClient,
  model: OpModel,
  operation: OperationName,
  body: Uint8Array,
  view: (output: Uint8Array) => CompletionView,
): Promise<Outcome['outcome']> {
  const envelope = client.buildEnvelope(operation, body);
  const id = env.recorder.invoke(c, model, envelope.hash);
  const o = await client.submitEnvelope(envelope);
  env.recorder.complete(id, o, env.recorder.clock(), o.outcome === 'ok' ? view(o.result.output) : {});
  return o.outcome;
}

/** One planned request: the model the checkers see, the operation tag and the body. */
export interface PlannedOp {
  readonly model: OpModel;
  readonly operation: OperationName;
  readonly body: Uint8Array;
}

/**
 * Ordered null requests: each ping carries a unique payload (client, sequence number, random filler), so
 * an echo that belongs to another request is detected (checkEchoes). `next`/`output` plan and read one
 * ping for loops of their own (chaos/soak.ts).
 */
export const pingWorkload: Workload & {
  next(rng: Rng, client: number, seq: number): PlannedOp;
  output(op: PlannedOp, output: Uint8Array): string;
} = {
  name: 'ping',
  pinServiceKeys: false,
  next(rng, client, seq) {
    const body = new Uint8Array(16);
    const view = new DataView(body.buffer);
    view.setUint32(0, client);
    view.setUint32(4, seq);
    view.setUint32(8, Math.floor(rng() * 2 ** 32));
    view.setUint32(12, Math.floor(rng() * 2 ** 32));
    return { model: { f: 'ping', value: toHex(body) }, operation: 'ping', body };
  },
  output: (_op, output) => toHex(output),
  start: (env) => startPings(env),
};

/**
 * The same pings with the service key pinned (the harness waits for the DKG first): every accepted
 * answer is one certified reply, so the generic signature checker re-verifies a service certificate
 * for each `ok` instead of f+1 replica signatures — the SDK path applications use once the key is out.
 */
export const pingCertifiedWorkload: Workload = {
  name: 'ping-certified',
  pinServiceKeys: true,
  start(env) {
    if (env.service === undefined)
      throw new Error('the ping-certified workload needs the pinned service keys');
    return startPings(env, env.service.signing);
  },
};

function startPings(env: WorkloadEnv, servicePublicKey?: Uint8Array): RunningWorkload {
  return {
    client(c) {
      const random = deterministicRandom(`${env.seed}/client-${c}`);
      const client = new OmegaClient(
        env.cluster.clientOptions(random(32), env.timeoutMs, random, servicePublicKey),
      );
      const rng = seededRng(`${env.seed}/ops-${c}`);
      let seq = 0;
      return {
        step() {
          const p = pingWorkload.next(rng, c, seq++);
          return recorded(env, c, client, p.model, p.operation, p.body, (out) => ({
            output: pingWorkload.output(p, out),
          }));
        },
      };
    },
    check: (history) => [checkEchoes(history)],
  };
}

// ── registry ────────────────────────────────────────────────────────────────────────────────────────

/** Keys per principal: few, so operations on one key interleave across clients. */
const KEYS_PER_PRINCIPAL = 3;
/** Principals written concurrently in one generation. */
const PRINCIPALS_PER_GENERATION = 2;
/**
 * Operations (all clients together) before the workload moves on to fresh principals: each principal's
 * history stays small enough for the linearizability search, and a long run keeps finding keys that can
 * still be authorized, registered and revoked (a revoked digest is never registered again).
 */
const OPS_PER_GENERATION = 48;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): the 32-byte key follows. */
const ED25519_SPKI_PREFIX = fromHex('302a300506032b6570032100');

interface PoolKey {
  readonly name: string;
  readonly secret: Uint8Array;
  readonly spki: Uint8Array;
  readonly digest: Uint8Array;
}

/**
 * An OmegaClient that records every request the RegistryClient sends through it: the registry's own
 * encoding and decoding are exercised unchanged, and the history still gets the envelope hash before
 * the request leaves (how the checkers find an `unknown` op in the decided log).
 */
class RecordingClient extends OmegaClient {
  /** The model of the next request (set by the workload right before each RegistryClient call). */
  next: OpModel | undefined;
  /** The last request: its op id, outcome and completion time. */
  last: { id: number; outcome: Outcome; t: number } | undefined;

  constructor(
    options: ClientOptions,
    private readonly recorder: Recorder,
    private readonly index: number,
  ) {
    super(options);
  }

  override async request(
    operation: OperationName | number,
    body: Uint8Array,
    options: RequestOptions = {},
  ): Promise<Outcome> {
    const model = this.next;
    if (model === undefined) throw new Error('RecordingClient: request without a model');
    this.next = undefined;
    const envelope = this.buildEnvelope(operation, body, options);
    const id = this.recorder.invoke(this.index, model, envelope.hash);
    const outcome = await this.submitEnvelope(envelope);
    this.last = { id, outcome, t: this.recorder.clock() };
    return outcome;
  }
}

/** The model's reading of a lookup answer: `current:k`, `revoked:k`, `unknown` (registryModel). */
function lookupView(
  answer: LookupAnswer,
  principal: string,
  nameOf: (digest: Uint8Array) => string,
): CompletionView {
  if (answer.principal !== principal || answer.keyType !== 'ed25519')
    return { output: `answer-for:${answer.principal}/${answer.keyType}` };
  switch (answer.status) {
    case 'unknown':
      return { output: 'unknown' };
    case 'revoked':
      return { output: `revoked:${nameOf(answer.keyDigest)}` };
    case 'pending':
      return { output: `current:${nameOf(answer.keyDigest)}` };
    case 'certificate':
      return {
        output: equalBytes(keyDigest(answer.spki), answer.keyDigest)
          ? `current:${nameOf(answer.keyDigest)}`
          : `spki-digest-mismatch:${nameOf(answer.keyDigest)}`,
        issued: {
          der: toHex(answer.certificate),
          notBeforeMs: answer.notBeforeMs,
          notAfterMs: answer.notAfterMs,
        },
      };
  }
}

/**
 * Registry operations from several clients over a small key space: k-of-m `authorize` (two of the three
 * administrators `createCluster` made), `register` with proof of possession, `lookup` (the first in a
 * validity window decides a certificate that the replicas sign with FROST; later ones return it) and
 * self-signed `revoke`, on {@link PRINCIPALS_PER_GENERATION} principals at a time with
 * {@link KEYS_PER_PRINCIPAL} Ed25519 keys each. Checked: linearizable per principal against
 * `registryModel`, no certificate after an acknowledged revocation, every certificate valid under the CA.
 * A short certificate lifetime (2 min: windows of 1 min) makes keys be certified again during a run.
 */
export const registryWorkload: Workload = {
  name: 'registry',
  pinServiceKeys: true,
  certLifetimeMs: 120_000,
  start(env) {
    const service = env.service;
    if (service === undefined) throw new Error('the registry workload needs the pinned service keys');
    const chainId = env.cluster.chainId;
    const pools = new Map<string, PoolKey[]>();
    const names = new Map<string, string>();
    const pool = (principal: string): PoolKey[] => {
      let keys = pools.get(principal);
      if (keys === undefined) {
        keys = Array.from({ length: KEYS_PER_PRINCIPAL }, (_, i) => {
          const secret = deterministicRandom(`${env.seed}/key/${principal}/${i}`)(32);
          const spki = concatBytes(ED25519_SPKI_PREFIX, ed25519.getPublicKey(secret));
          const key = { name: `k${i}`, secret, spki, digest: keyDigest(spki) };
          names.set(toHex(key.digest), key.name);
          return key;
        });
        pools.set(principal, keys);
      }
      return keys;
    };
    const nameOf = (digest: Uint8Array) => names.get(toHex(digest)) ?? `digest-${toHex(digest).slice(0, 16)}`;
    const admins = [1, 2, 3].map((i) => env.cluster.adminSigner(i));
    let planned = 0;

    return {
      client(c) {
        const random = deterministicRandom(`${env.seed}/client-${c}`);
        const client = new RecordingClient(
          env.cluster.clientOptions(random(32), env.timeoutMs, random, service.signing),
          env.recorder,
          c,
        );
        const registry = new RegistryClient(client, chainId, random);
        const rng = seededRng(`${env.seed}/ops-${c}`);
        /** Follow-ups this client performs next (register after its authorize, lookups after `pending`). */
        const queue: { f: string; principal: string; key?: PoolKey }[] = [];

        /** Runs one RegistryClient call under `model` and records its completion. */
        const run = async <T>(
          model: OpModel,
          call: () => Promise<RegistryOutcome<T>>,
          view: (value: T) => CompletionView,
        ): Promise<{ outcome: Outcome['outcome']; value?: T }> => {
          client.next = model;
          let r: RegistryOutcome<T> | undefined;
          let decodeError: string | undefined;
          try {
            r = await call();
          } catch (e) {
            // The SDK accepted an answer the registry decoder refuses: recorded as an output no model
            // step produces, so the linearizability check names the op.
            decodeError = e instanceof Error ? e.message : String(e);
          }
          const last = client.last;
          client.last = undefined;
          if (last === undefined) throw new Error(`registry ${model.f}: nothing was sent (${decodeError})`);
          const v =
            decodeError !== undefined
              ? { output: `undecodable:${decodeError.slice(0, 80)}` }
              : r?.outcome === 'ok'
                ? view(r.value)
                : {};
          env.recorder.complete(last.id, last.outcome, last.t, v);
          return r?.outcome === 'ok' ? { outcome: 'ok', value: r.value } : { outcome: last.outcome.outcome };
        };

        const perform = async (f: string, principal: string, key: PoolKey) => {
          const model: OpModel = { f, key: principal, value: key.name };
          switch (f) {
            case 'authorize': {
              const signers = rng() < 0.5 ? [admins[0]!, admins[1]!] : [admins[1]!, admins[2]!];
              const signed = registry.signAdminAction(
                { kind: 'authorize', principal, keyType: 'ed25519', keyDigest: key.digest },
                signers,
              );
              return run(
                model,
                () => registry.admin(signed),
                () => ({ output: 'ok' }),
              );
            }
            case 'register': {
              const pop = ed25519.sign(registry.popMessage(principal, key.digest), key.secret);
              return run(
                model,
                () => registry.register(principal, key.spki, pop),
                (v) => ({
                  output: equalBytes(v.keyDigest, key.digest) && v.keyType === 'ed25519' ? 'ok' : 'wrong-key',
                }),
              );
            }
            case 'revoke': {
              const reason = 1; // keyCompromise (RFC 5280 §5.3.1)
              const signature = ed25519.sign(
                registry.revocationMessage(principal, key.digest, reason),
                key.secret,
              );
              return run(
                model,
                () =>
                  registry.revoke({
                    principal,
                    keyDigest: key.digest,
                    reason,
                    signerDigest: key.digest,
                    signature,
                  }),
                (v) => ({ output: equalBytes(v.keyDigest, key.digest) ? 'ok' : 'wrong-key' }),
              );
            }
            default: {
              const r = await run(
                { f: 'lookup', key: principal },
                () => registry.lookup(principal, 'ed25519'),
                (a) => lookupView(a, principal, nameOf),
              );
              // A `pending` answer: the certificate follows once the FROST round completes; ask again.
              if (r.value?.status === 'pending' && queue.length < 4)
                queue.push({ f: 'lookup', principal, key });
              return r;
            }
          }
        };

        return {
          async step() {
            const follow = queue.shift();
            if (follow !== undefined) {
              if (follow.f === 'lookup') await new Promise((r) => setTimeout(r, 100));
              return (await perform(follow.f, follow.principal, follow.key ?? pool(follow.principal)[0]!))
                .outcome;
            }
            const generation = Math.floor(planned++ / OPS_PER_GENERATION);
            const principal = `chaos-${Math.floor(rng() * PRINCIPALS_PER_GENERATION)}.g${generation}`;
            const key = pool(principal)[Math.floor(rng() * KEYS_PER_PRINCIPAL)]!;
            const x = rng();
            const f = x < 0.35 ? 'lookup' : x < 0.6 ? 'authorize' : x < 0.75 ? 'register' : 'revoke';
            // Most authorizations are followed by the registration they allow (by the same client).
            if (f === 'authorize' && rng() < 0.8) queue.push({ f: 'register', principal, key });
            return (await perform(f, principal, key)).outcome;
          },
        };
      },

      check(history, decided) {
        const ca = { chainId, publicKey: service.certificate };
        const caKey = createPublicKey({
          key: Buffer.concat([ED25519_SPKI_PREFIX, service.certificate]),
          format: 'der',
          type: 'spki',
        });
        return [
          checkLinearizable(history, registryModel, undefined, decided),
          checkNoIssueAfterRevoke(history),
          checkIssuedCertificates(history, {
            spkiOf: (principal, k) => pool(principal).find((x) => x.name === k)?.spki,
            verify(der, expected) {
              try {
                const v = verifyIssuedCertificate(
                  der,
                  {
                    ca,
                    principal: expected.principal,
                    atMs: expected.notBeforeMs,
                    expectedSpki: expected.expectedSpki,
                  },
                  nodeEd25519Verify,
                );
                if (v.notBeforeMs !== expected.notBeforeMs || v.notAfterMs !== expected.notAfterMs)
                  return 'validity differs from the lookup answer';
              } catch (e) {
                return e instanceof Error ? e.message : String(e);
              }
              // An independent verifier: OpenSSL through node:crypto.
              const x509 = new X509Certificate(Buffer.from(der));
              if (!x509.verify(caKey)) return 'OpenSSL: signature does not verify under the CA key';
              return undefined;
            },
          }),
        ];
      },
    };
  },
};

export const WORKLOADS: ReadonlyMap<string, Workload> = new Map([
  [pingWorkload.name, pingWorkload],
  [pingCertifiedWorkload.name, pingCertifiedWorkload],
  [registryWorkload.name, registryWorkload],
]);
