/**
 * `npm run soak -- [--minutes M] [--concurrency C] [--sample-s S] [--poll-s P] [--warmup F] [--judge heap|rss|both]
 * [--seed X]`: sustained load on a 4-replica cluster of real processes (docs/reliability.md, "Soak"). Every S
 * seconds it records each replica's resident set (/proc/<pid>/status VmRSS), its live JS heap, and the
 * latency percentiles of the requests that completed in the window. The heap is read from the replica's
 * `/metrics` (`omega_memory_bytes{kind="heap_used"}`) every P seconds and the window keeps the smallest
 * reading: heapUsed swings by tens of MiB between garbage collections, and its lower envelope is the
 * heap that survived them. At the end it fits both slopes after warm-up (chaos/stats.ts) and judges
 * flatness on the heap by default (why: docs/reliability.md, "Soak"). Exit code 1 if memory grew or
 * nothing was acknowledged. The whole run is also checked like a chaos run without faults: logs agree,
 * no acknowledged op lost, signatures valid.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeEd25519Verify } from '../src/api/ed25519.js';
import { toHex } from '../src/crypto/bytes.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import {
  checkAcknowledged,
  checkLogsAgree,
  checkSignatures,
  longestLog,
  type DecidedLog,
} from './checkers.js';
import { ChaosCluster } from './cluster.js';
import { HistoryFile } from './history.js';
import { seededRng } from './rng.js';
import { HEAP_FLAT, memoryFlat, parseMemoryMetrics, quantile } from './stats.js';
import { pingWorkload } from './workload.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    'sample-s': { type: 'string', default: '10' },
    /** How often each replica's heap is read within a window (the window keeps the minimum). */
    'poll-s': { type: 'string', default: '2' },
    /** Which memory decides the verdict: the live JS heap (default), RSS, or both. */
    judge: { type: 'string', default: 'heap' },
    seed: { type: 'string', default: 'soak-1' },
    /** Fraction of the samples treated as warm-up (bounded caches filling) before the slope is fitted. */
    warmup: { type: 'string', default: '0.3' },
    dir: { type: 'string' },
  },
  strict: true,
});
const minutes = Number(values.minutes);
const concurrency = Number(values.concurrency);
const sampleMs = Number(values['sample-s']) * 1000;
const pollMs = Number(values['poll-s']) * 1000;
const judge = values.judge;
if (judge !== 'heap' && judge !== 'rss' && judge !== 'both')
  throw new Error('--judge must be heap, rss or both');
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'omega-soak-'));

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

const MiB = 2 ** 20;

/**
 * A replica's heap readings in MiB from its /metrics: heapUsed now, and heapUsed when its last full
 * collection ended (NaN when absent or when the replica does not answer).
 */
async function heapMiB(url: string): Promise<{ now: number; afterGc: number }> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
    const m = parseMemoryMetrics(await res.text());
    return { now: (m.heap_used ?? NaN) / MiB, afterGc: (m.heap_after_major_gc ?? NaN) / MiB };
  } catch {
    return { now: NaN, afterGc: NaN };
  }
}

const cluster = await ChaosCluster.create({
  dir,
  n: 4,
  tickMs: 20,
  proxies: false,
  random: seededRng(`${values.seed}/proxy`),
});
const history = new HistoryFile(join(dir, 'history.jsonl'));
const start = performance.now();
const clock = () => Math.round((performance.now() - start) * 10) / 10;
let exitCode = 0;
try {
  await Promise.all([1, 2, 3, 4].map((i) => cluster.start(i)));
  console.log(
    `soak: ${minutes} min, concurrency ${concurrency}, sampling every ${sampleMs / 1000} s, in ${dir}`,
  );
  const random = deterministicRandom(`${values.seed}/client`);
  const client = cluster.client(random(32), 10_000, random);
  const opRng = seededRng(`${values.seed}/ops`);
  const end = performance.now() + minutes * 60_000;
  let window: number[] = [];
  let nextId = 0;
  const counts = { ok: 0, fail: 0, unknown: 0 };
  const loops = Array.from({ length: concurrency }, async (_, c) => {
    for (let seq = 0; performance.now() < end; seq++) {
      const planned = pingWorkload.next(opRng, c, seq);
      const envelope = client.buildEnvelope(planned.operation, planned.body);
      const id = nextId++;
      const t0 = performance.now();
      history.add({
        type: 'invoke',
        id,
        client: c,
        t: clock(),
        model: planned.model,
        envelopeHash: toHex(envelope.hash),
      });
      const o = await client.submitEnvelope(envelope);
      counts[o.outcome]++;
      if (o.outcome === 'ok') {
        window.push(performance.now() - t0);
        history.add({
          type: 'ok',
          id,
          t: clock(),
          output: pingWorkload.output(planned, o.result.output),
          height: o.result.height,
          index: o.result.index,
          resultBytes: toHex(o.result.resultBytes),
          signatures: o.result.signatures.map((s) => ({
            replicaIndex: s.replicaIndex,
            signature: toHex(s.signature),
          })),
        });
      } else if (o.outcome === 'fail') history.add({ type: 'fail', id, t: clock(), code: o.code });
      else history.add({ type: 'unknown', id, t: clock(), reason: o.reason.slice(0, 200) });
    }
  });
  const samples: {
    tMin: number;
    rss: number[];
    heap: number[];
    heapMin: number[];
    reqs: number;
    p50: number;
    p99: number;
  }[] = [];
  console.log(
    '| t (min) | RSS r1 MiB | RSS r2 MiB | RSS r3 MiB | RSS r4 MiB | heap r1 MiB | heap r2 MiB | heap r3 MiB | heap r4 MiB | ok req/s | p50 ms | p99 ms |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  // Per window: the lower envelope of heapUsed, and the latest heap after a full collection.
  let heapMin = [Infinity, Infinity, Infinity, Infinity];
  const afterGc = [NaN, NaN, NaN, NaN];
  const poller = (async () => {
    while (performance.now() < end) {
      const readings = await Promise.all([1, 2, 3, 4].map((i) => heapMiB(cluster.apiUrl(i))));
      heapMin = heapMin.map((m, k) =>
        Number.isFinite(readings[k]!.now) ? Math.min(m, readings[k]!.now) : m,
      );
      readings.forEach((r, k) => {
        if (Number.isFinite(r.afterGc)) afterGc[k] = r.afterGc;
      });
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, end - performance.now()))));
    }
  })();
  const sampler = (async () => {
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(sampleMs, Math.max(0, end - performance.now()))));
      const lat = window.sort((a, b) => a - b);
      window = [];
      const s = {
        tMin: (performance.now() - start) / 60_000,
        rss: [1, 2, 3, 4].map((i) => rssMiB(cluster.pid(i))),
        // The live heap: after the last full collection when the replica reports it, else the envelope.
        heap: heapMin.map((m, k) =>
          Number.isFinite(afterGc[k]!) ? afterGc[k]! : Number.isFinite(m) ? m : NaN,
        ),
        heapMin: heapMin.map((m) => (Number.isFinite(m) ? m : NaN)),
        reqs: lat.length / (sampleMs / 1000),
        p50: quantile(lat, 0.5),
        p99: quantile(lat, 0.99),
      };
      heapMin = [Infinity, Infinity, Infinity, Infinity];
      samples.push(s);
      console.log(
        `| ${s.tMin.toFixed(2)} | ${[...s.rss, ...s.heap].map((r) => r.toFixed(1)).join(' | ')} | ${s.reqs.toFixed(1)} | ${s.p50.toFixed(0)} | ${s.p99.toFixed(0)} |`,
      );
    }
  })();
  await Promise.all([...loops, sampler, poller]);
  const warmupFraction = Number(values.warmup);
  const verdicts = [1, 2, 3, 4].map((i) => ({
    rss: memoryFlat(
      samples.map((s) => ({ tMin: s.tMin, mib: s.rss[i - 1]! })),
      { warmupFraction },
    ),
    heap: memoryFlat(
      samples.map((s) => ({ tMin: s.tMin, mib: s.heap[i - 1]! })),
      { warmupFraction, ...HEAP_FLAT },
    ),
  }));
  const flat = (v: (typeof verdicts)[number]) =>
    judge === 'heap' ? v.heap.flat : judge === 'rss' ? v.rss.flat : v.heap.flat && v.rss.flat;
  await cluster.stopAll();
  const logs = new Map<number, DecidedLog>();
  for (let i = 1; i <= 4; i++) logs.set(i, await cluster.readLog(i));
  const checks = [
    checkLogsAgree(logs),
    checkAcknowledged(history.events, longestLog(logs)),
    checkSignatures(history.events, {
      chainId: cluster.chainId,
      f: cluster.f,
      publicKeys: cluster.publicKeys(),
      verify: nodeEd25519Verify,
    }),
  ];
  console.log(
    `\noutcomes: ok ${counts.ok}, fail ${counts.fail}, unknown ${counts.unknown}; final height ${longestLog(logs).length}`,
  );
  const describeVerdict = (name: string, v: (typeof verdicts)[number]['rss']) =>
    `${name} ${v.firstMiB.toFixed(1)} → ${v.lastMiB.toFixed(1)} MiB, slope ${v.slopeMiBPerMin.toFixed(2)} MiB/min (${v.flat ? 'flat' : 'growing'})`;
  verdicts.forEach((v, i) =>
    console.log(
      `replica ${i + 1} after warm-up: ${describeVerdict('heap', v.heap)}; ${describeVerdict('RSS', v.rss)}; judged on ${judge}: ${flat(v) ? 'flat' : 'GROWING'}`,
    ),
  );
  for (const c of checks)
    console.log(`[${c.ok ? 'ok' : 'FAIL'}] ${c.name} ${JSON.stringify(c.stats)} ${c.problems.join('; ')}`);
  writeFileSync(
    join(dir, 'soak.json'),
    `${JSON.stringify({ minutes, concurrency, judge, samples, verdicts, counts, checks }, null, 2)}\n`,
  );
  if (!verdicts.every(flat) || counts.ok === 0 || !checks.every((c) => c.ok)) {
    exitCode = 1;
    console.log(`soak FAILED (seed ${values.seed}); history: ${history.path}`);
  }
} finally {
  await cluster.close();
}
process.exit(exitCode);
