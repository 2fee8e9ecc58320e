/**
 * One chaos run (docs/reliability.md): a fresh cluster of replica processes behind link proxies, C
 * clients driving a workload through the SDK, the nemesis injecting seeded faults, then recovery, the
 * decided logs read from every store, and every checker. Deterministic in everything but the OS
 * scheduler: the seed fixes the fault schedule, the targets, the payloads and the request ids.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeEd25519Verify } from '../src/api/ed25519.js';
import { toHex } from '../src/crypto/bytes.js';
import { nobleServiceVerify } from '../src/sdk/index.js';
import {
  checkAcknowledged,
  checkAuditNoIssueAfterRevoke,
  checkLogsAgree,
  checkNoProgressBeyondF,
  checkSignatures,
  executedEnvelopes,
  type CheckResult,
  type DecidedLog,
} from './checkers.js';
import { ChaosCluster } from './cluster.js';
import { HistoryFile } from './history.js';
import { FAULT_KINDS, Nemesis, type FaultKind, type StorageFaultOutcome } from './nemesis.js';
import { seededRng } from './rng.js';
import type { Recorder, Workload } from './workload.js';

export interface ChaosOptions {
  readonly seed: string;
  readonly dir: string;
  readonly workload: Workload;
  /** Time under faults (ms). */
  readonly durationMs: number;
  readonly clients?: number;
  readonly n?: number;
  readonly faults?: readonly FaultKind[];
  /** Also run the beyond-f phase (f+1 replicas down) at the end of the fault period. */
  readonly beyondF?: boolean;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: string;
  readonly workload: string;
  readonly historyPath: string;
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
  readonly faults: Readonly<Record<string, number>>;
  readonly storage: readonly StorageFaultOutcome[];
  readonly outcomes: { ok: number; fail: number; unknown: number };
  readonly finalHeights: readonly number[];
  readonly durationMs: number;
  /** The pinned service keys (hex), when the workload pinned them: what re-checking the history needs. */
  readonly service?: { readonly signing: string; readonly certificate: string };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const rng = seededRng(`${options.seed}/nemesis`);
  mkdirSync(options.dir, { recursive: true });
  const historyPath = join(options.dir, 'history.jsonl');
  const history = new HistoryFile(historyPath);
  const start = performance.now();
  const clock = () => Math.round((performance.now() - start) * 10) / 10;
  const cluster = await ChaosCluster.create({
    dir: options.dir,
    n: options.n ?? 4,
    tickMs: 20,
    random: seededRng(`${options.seed}/proxy`),
    ...(options.workload.certLifetimeMs !== undefined
      ? { certLifetimeMs: options.workload.certLifetimeMs }
      : {}),
  });
  const nemesis = new Nemesis(cluster, rng, history, clock, log);
  const outcomes = { ok: 0, fail: 0, unknown: 0 };
  try {
    await Promise.all(Array.from({ length: cluster.n }, (_, i) => cluster.start(i + 1)));
    log(`cluster of ${cluster.n} up in ${options.dir}`);

    // The registry needs the CA, which exists once the bootstrap DKG is done: wait for it and pin the
    // service key, so every answer a client accepts is a certified reply (docs/replies.md).
    const service = options.workload.pinServiceKeys ? await cluster.waitForServiceKeys() : undefined;
    if (service !== undefined) {
      // The CA certificate is trusted only if it is self-signed by the DKG's certificate key.
      const ca = new X509Certificate(Buffer.from(service.caCertificate));
      const caRaw = new Uint8Array(ca.publicKey.export({ type: 'spki', format: 'der' })).subarray(12);
      if (toHex(caRaw) !== toHex(service.certificate) || !ca.verify(ca.publicKey))
        throw new Error('the CA certificate is not self-signed by the pinned certificate key');
      log(`service keys pinned (DKG done, CA installed) after ${Math.round(clock())} ms`);
    }

    // Clients: each its own key and seeded request ids, one request at a time.
    let stopping = false;
    let nextId = 0;
    const recorder: Recorder = {
      clock,
      invoke(client, model, envelopeHash) {
        const id = nextId++;
        history.add({ type: 'invoke', id, client, t: clock(), model, envelopeHash: toHex(envelopeHash) });
        return id;
      },
      complete(id, o, t, view = {}) {
        outcomes[o.outcome]++;
        if (o.outcome === 'ok') {
          history.add({
            type: 'ok',
            id,
            t,
            output: view.output ?? toHex(o.result.output),
            height: o.result.height,
            index: o.result.index,
            resultBytes: toHex(o.result.resultBytes),
            signatures: o.result.signatures.map((s) => ({
              replicaIndex: s.replicaIndex,
              signature: toHex(s.signature),
            })),
            ...(o.result.certificate !== undefined ? { certificate: toHex(o.result.certificate) } : {}),
            ...(view.issued !== undefined ? { issued: view.issued } : {}),
          });
        } else if (o.outcome === 'fail') {
          history.add({ type: 'fail', id, t, code: o.code });
        } else {
          history.add({ type: 'unknown', id, t, reason: o.reason.slice(0, 200) });
        }
      },
    };
    const workload = options.workload.start({
      seed: options.seed,
      cluster,
      recorder,
      service,
      timeoutMs: 4_000,
    });
    const clientCount = options.clients ?? 4;
    const clients = Array.from({ length: clientCount }, async (_, c) => {
      const client = workload.client(c);
      while (!stopping) {
        if ((await client.step()) === 'unknown') await sleep(100);
      }
    });

    const faults = options.faults ?? FAULT_KINDS;
    const faultEnd = performance.now() + options.durationMs;
    await sleep(1_000);
    while (performance.now() < faultEnd) {
      await nemesis.random(faults);
      // Recovery time between faults, so at most f replicas are ever faulty and the log keeps moving.
      await sleep(800 + Math.floor(rng() * 1_200));
    }
    if (options.beyondF === true) await nemesis.beyondF(3_000);
    await nemesis.healAll();
    // Let the recovered cluster serve for a while under the same load, then stop the clients.
    await sleep(3_000);
    stopping = true;
    await Promise.all(clients);

    // Convergence: every replica reaches the same height (block sync after the faults).
    let heights: number[] = [];
    const until = performance.now() + 30_000;
    while (performance.now() < until) {
      heights = await Promise.all(
        Array.from({ length: cluster.n }, (_, i) => cluster.height(i + 1).then((h) => h ?? -1)),
      );
      if (heights.every((h) => h === heights[0] && h > 0)) break;
      await sleep(300);
    }
    await cluster.stopAll();
    // Hashes of every replica's log; the longest one is replayed through the machine (its results and
    // the registry's audit chain are what the checkers compare the clients' view with).
    const logs = new Map<number, DecidedLog>();
    for (let i = 1; i <= cluster.n; i++) logs.set(i, (await cluster.readDecided(i, false)).log);
    const finalHeights = [...logs.values()].map((l) => l.length);
    const longest = [...logs.entries()].reduce((a, b) => (b[1].length > a[1].length ? b : a))[0];
    const replayed = await cluster.readDecided(longest, true);

    const events = history.events;
    const checks: CheckResult[] = [
      checkLogsAgree(logs),
      checkAcknowledged(events, replayed.log),
      checkSignatures(events, {
        chainId: cluster.chainId,
        f: cluster.f,
        publicKeys: cluster.publicKeys(),
        verify: nodeEd25519Verify,
        ...(service !== undefined
          ? { service: { publicKey: service.signing, verify: nobleServiceVerify(service.signing) } }
          : {}),
      }),
      checkNoProgressBeyondF(events, cluster.f),
      checkAuditNoIssueAfterRevoke(replayed.audit),
      ...workload.check(events, executedEnvelopes(replayed.log)),
      {
        name: 'replicas converge after healing',
        ok: finalHeights.every((h) => h === finalHeights[0]),
        problems: finalHeights.every((h) => h === finalHeights[0])
          ? []
          : [`final heights ${finalHeights.join(', ')}`],
        stats: { height: Math.max(...finalHeights) },
      },
      {
        name: 'the workload made progress',
        ok: outcomes.ok > 0,
        problems: outcomes.ok > 0 ? [] : ['no operation was acknowledged'],
        stats: { ...outcomes },
      },
    ];
    return {
      seed: options.seed,
      workload: options.workload.name,
      historyPath,
      ok: checks.every((c) => c.ok),
      checks,
      faults: Object.fromEntries(nemesis.counts),
      storage: nemesis.storageOutcomes,
      outcomes,
      finalHeights,
      durationMs: Math.round(performance.now() - start),
      ...(service !== undefined
        ? { service: { signing: toHex(service.signing), certificate: toHex(service.certificate) } }
        : {}),
    };
  } finally {
    await cluster.close();
  }
}

/** A human-readable summary; on failure it names the seed and the history file that reproduce it. */
export function formatReport(r: ChaosReport): string {
  const lines = [
    `chaos workload=${r.workload} seed=${r.seed} ${r.ok ? 'PASSED' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(0)} s`,
    `  outcomes: ok ${r.outcomes.ok}, fail ${r.outcomes.fail}, unknown ${r.outcomes.unknown}; final heights ${r.finalHeights.join(', ')}`,
    `  faults: ${Object.entries(r.faults)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
  ];
  for (const s of r.storage) lines.push(`  ${s.kind} replica ${s.replica}: ${s.result} (${s.message})`);
  for (const c of r.checks) {
    lines.push(`  [${c.ok ? 'ok' : 'FAIL'}] ${c.name} ${JSON.stringify(c.stats)}`);
    for (const p of c.problems) lines.push(`      ${p}`);
  }
  if (!r.ok) {
    lines.push(
      `  reproduce: npm run chaos -- --workload ${r.workload} --seed ${r.seed}   history: ${r.historyPath}`,
    );
  }
  return lines.join('\n');
}
