/**
 * A short registry chaos run through the harness's public interface (chaos/run.ts `runChaos`): four real
 * replica processes behind link proxies, the bootstrap DKG, three clients driving authorize / register
 * / lookup / revoke through the SDK's RegistryClient with the service key pinned, one pause fault — and
 * every checker passes on the real history. Then the same history, altered, must fail: a checker that
 * cannot fail on a real history proves nothing (docs/reliability.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkLinearizable, checkSignatures, registryModel } from '../../chaos/checkers.js';
import { readHistory, type HistoryEvent } from '../../chaos/history.js';
import { formatReport, runChaos } from '../../chaos/run.js';
import { registryWorkload } from '../../chaos/workload.js';
import { nodeEd25519Verify } from '../../src/api/ed25519.js';
import { fromHex } from '../../src/crypto/bytes.js';
import { nobleServiceVerify } from '../../src/sdk/index.js';

const dir = mkdtempSync(join(tmpdir(), 'omega-chaos-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a registry run under a pause passes every checker, and altered copies of its history fail', async () => {
  const seed = 'test-registry';
  const report = await runChaos({
    seed,
    dir: join(dir, seed),
    workload: registryWorkload,
    durationMs: 4_000,
    clients: 3,
    faults: ['pause'],
    beyondF: false,
  });
  // On failure the report names the seed and the history file.
  expect(report.ok, formatReport(report)).toBe(true);
  const names = report.checks.map((c) => c.name);
  expect(names).toContain('registry linearizable');
  expect(names).toContain('accepted replies carry a valid service certificate');
  expect(names).toContain('issued certificates verify under the CA');
  expect(report.outcomes.ok).toBeGreaterThan(10);

  const history = readHistory(report.historyPath);
  const oks = history.filter((e): e is Extract<HistoryEvent, { type: 'ok' }> => e.type === 'ok');
  const invokes = new Map(history.filter((e) => e.type === 'invoke').map((e) => [e.id, e]));

  // Every accepted reply is certified; flipping one bit of one certificate is caught.
  const ctx = {
    chainId: '',
    f: 1,
    publicKeys: new Map<number, string>(),
    verify: nodeEd25519Verify,
    service: {
      publicKey: fromHex(report.service!.signing),
      verify: nobleServiceVerify(fromHex(report.service!.signing)),
    },
  };
  const target = oks[0]!;
  const flipped = target.certificate!.slice(0, -2) + (target.certificate!.endsWith('00') ? '01' : '00');
  const forged = history.map((e) => (e === target ? { ...target, certificate: flipped } : e));
  const sig = checkSignatures(forged, ctx);
  expect(sig.problems.join('\n')).toMatch(new RegExp(`op ${target.id}: service certificate does not verify`));

  // A second acknowledged registration of a key that was registered: no order explains it.
  const registered = oks.find((e) => invokes.get(e.id)?.model.f === 'register' && e.output === 'ok');
  expect(registered, 'the run registered no key').toBeDefined();
  const inv = invokes.get(registered!.id)!;
  const last = history[history.length - 1]!.t + 1;
  const replayed: HistoryEvent[] = [
    ...history,
    { ...inv, id: 1e9, t: last },
    { ...registered!, id: 1e9, t: last + 1 },
  ];
  expect(checkLinearizable(history, registryModel).ok).toBe(true);
  const lin = checkLinearizable(replayed, registryModel);
  expect(lin.ok).toBe(false);
  expect(lin.problems[0]).toMatch(new RegExp(`key ${inv.model.key}`));
}, 150_000);
