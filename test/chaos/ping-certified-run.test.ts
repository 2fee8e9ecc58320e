/**
 * A short chaos run of the `ping-certified` workload (chaos/run.ts `runChaos`): the harness waits for the
 * bootstrap DKG, pins the service key in every client, and a kill fault hits one replica. Every accepted
 * ping must then be a certified reply, re-verified by the signature checker under the pinned key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readHistory, type HistoryEvent } from '../../chaos/history.js';
import { formatReport, runChaos } from '../../chaos/run.js';
import { pingCertifiedWorkload } from '../../chaos/workload.js';

const dir = mkdtempSync(join(tmpdir(), 'omega-chaos-ping-certified-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('certified pings under a kill: every accepted reply carries a service certificate that verifies', async () => {
  const seed = 'test-ping-certified';
  const report = await runChaos({
    seed,
    dir: join(dir, seed),
    workload: pingCertifiedWorkload,
    durationMs: 4_000,
    clients: 3,
    faults: ['kill'],
    beyondF: false,
  });
  expect(report.ok, formatReport(report)).toBe(true);
  expect(report.service, 'the run pinned no service key').toBeDefined();
  expect(report.outcomes.ok).toBeGreaterThan(10);
  const oks = readHistory(report.historyPath).filter(
    (e): e is Extract<HistoryEvent, { type: 'ok' }> => e.type === 'ok',
  );
  expect(oks.length).toBe(report.outcomes.ok);
  for (const ok of oks) expect(ok.certificate, `op ${ok.id}`).toBeDefined();
  const check = report.checks.find((c) => c.name === 'accepted replies carry a valid service certificate');
  expect(check?.ok, formatReport(report)).toBe(true);
}, 150_000);
