/**
 * A seeded simulator of the Log-DKG (docs/dkg.md): n replicas each run a participant that reacts to
 * decided blocks by posting its transactions; a seeded "log" orders the posted transactions into blocks
 * with random delays, reordering and block times; every correct replica applies every block to its own
 * `DkgSession`. Byzantine replicas deal bad shares, malformed or unprovable deals, equivocate, complain
 * falsely, or stay silent. One correct replica is restarted mid-session from its snapshot.
 *
 * Checkers (each violation is a string; a run passes with none):
 * - agreement: every correct replica accepts/rejects the same transactions and ends with byte-identical
 *   snapshots (hence the same QUAL and public keys);
 * - validity: every correct replica derives shares matching its public shares; t+1 of them make a
 *   threshold BLS signature verifying under `signing.publicKey`, an IBE identity key verifying under
 *   `ibe.publicKey`, and a FROST signature that node:crypto verifies as plain Ed25519 under
 *   `certificate.publicKey`;
 * - accountability: exactly the Byzantine candidates that sent a bad share to a correct replica are
 *   disqualified and named; no honest dealer is ever disqualified; false complainers are flagged and only
 *   Byzantine members are; invalid deals never become candidates;
 * - persistence: the restarted replica and a restore of every final snapshot derive the same shares.
 *
 * `npm run sim:dkg -- --seed S` replays one run; `--seeds N` runs N seeds.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import type { BlsBackend } from '../src/crypto/bls/backend.js';
import { combine, partialSign, verify as blsVerify } from '../src/crypto/bls/threshold.js';
import { toHex, utf8 } from '../src/crypto/bytes.js';
import { shareIndex } from '../src/crypto/field.js';
import {
  NonceBook,
  aggregate,
  frostGroupFromCommitments,
  frostSigner,
  signShare,
} from '../src/crypto/frost.js';
import { ED25519, RISTRETTO255 } from '../src/crypto/group.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import type { EpochKeyPair } from '../src/crypto/share-encryption.js';
import { disclosePairwiseKey, generateEpochKey } from '../src/crypto/share-encryption.js';
import type { DkgBlock, DkgParams, DkgResult, DkgShares } from '../src/core/sessions/dkg/index.js';
import {
  DkgSession,
  complaintsFor,
  dealEncryptionContext,
  deriveShares,
  encodeComplaint,
  makeDealBody,
  makeEpochKeyBody,
} from '../src/core/sessions/dkg/index.js';
import { isOmegaError } from '../src/errors.js';
import type { DealFault } from './dkg-actors.js';
import { craftDeal } from './dkg-actors.js';
import { Rng } from './rng.js';

/** What a Byzantine replica does (it always posts its epoch key: the DKG waits for the whole committee). */
export const DKG_BYZANTINE_KINDS = [
  'bad-share',
  'garbage-ciphertext',
  'extra-commitment',
  'bad-pok',
  'equivocate',
  'false-complaint',
  'silent',
] as const;
export type DkgByzantineKind = (typeof DKG_BYZANTINE_KINDS)[number];

export interface DkgSimParams {
  readonly seed: string;
  readonly n: number;
  readonly t: number;
  /** Byzantine replicas (1-based index → behaviour). */
  readonly byzantine: ReadonlyMap<number, DkgByzantineKind>;
  /** For 'bad-share' / 'garbage-ciphertext': the (correct) receiver that gets the bad share. */
  readonly victims: ReadonlyMap<number, number>;
  /** The correct replica restarted from its snapshot, and after how many blocks. */
  readonly restart: { readonly replica: number; readonly afterBlocks: number };
  /** Largest delay between posting a transaction and its becoming includable, ms. */
  readonly postDelayMsMax: number;
  /** Block interval range, ms. */
  readonly blockIntervalMs: readonly [number, number];
  /** Largest number of transactions per block. */
  readonly txPerBlockMax: number;
  /** Rushing adversary: Byzantine transactions are includable at once (so bad deals become candidates). */
  readonly rushing: boolean;
  /** A partition delays the deals of `partitioned` (t+1 correct replicas) in attempt 0 past its window. */
  readonly partition: boolean;
  readonly partitioned: readonly number[];
}

export interface DkgSimReport {
  readonly params: DkgSimParams;
  readonly attempts: number;
  readonly blocks: number;
  readonly qual?: readonly number[];
  readonly candidates: readonly number[];
  readonly disqualified: readonly number[];
  readonly flagged: readonly number[];
  readonly violations: readonly string[];
}

type TxKind = 'epoch-key' | 'deal' | 'complaint';
interface Tx {
  readonly kind: TxKind;
  readonly from: number;
  readonly body: Uint8Array;
  readonly readyAtMs: number;
  /** Sequence number of posting (stable tie-break before the seeded shuffle). */
  readonly seq: number;
}

/** Draws a run's parameters from its seed (t = ⌊(n−1)/3⌋, up to t Byzantine replicas). */
export function dkgParamsFromSeed(
  seed: string,
  overrides: {
    n?: number;
    byzantine?: readonly DkgByzantineKind[];
    rushing?: boolean;
    partition?: boolean;
  } = {},
): DkgSimParams {
  const rng = new Rng(`${seed}/params`);
  const n = overrides.n ?? rng.pick([4, 7]);
  const t = Math.floor((n - 1) / 3);
  const count = overrides.byzantine?.length ?? (rng.chance(0.8) ? t : rng.int(0, t));
  const members = rng.shuffle(Array.from({ length: n }, (_, i) => i + 1));
  const byzantine = new Map<number, DkgByzantineKind>();
  for (let k = 0; k < count; k++) {
    byzantine.set(members[k]!, overrides.byzantine?.[k] ?? rng.pick(DKG_BYZANTINE_KINDS));
  }
  const correct = members.slice(count);
  const victims = new Map<number, number>();
  for (const i of byzantine.keys()) victims.set(i, rng.pick(correct));
  return {
    seed,
    n,
    t,
    byzantine,
    victims,
    restart: { replica: rng.pick(correct), afterBlocks: rng.int(1, 12) },
    postDelayMsMax: rng.int(0, 2_000),
    blockIntervalMs: [rng.int(100, 400), rng.int(500, 1_200)],
    txPerBlockMax: rng.int(2, 2 * n),
    rushing: overrides.rushing ?? rng.chance(0.5),
    partition: overrides.partition ?? rng.chance(0.15),
    partitioned: rng.shuffle([...correct]).slice(0, t + 1),
  };
}

/** One-line description of a run, for logs and failure messages. */
export function describeDkgRun(r: DkgSimReport): string {
  const p = r.params;
  const byz = [...p.byzantine].map(([i, k]) => `${i}:${k}`).join(',') || 'none';
  return (
    `${r.violations.length === 0 ? 'ok  ' : 'FAIL'} seed=${p.seed} n=${p.n} t=${p.t} byzantine=[${byz}] ` +
    `${p.rushing ? 'rushing ' : ''}${p.partition ? `partition=[${p.partitioned.join(',')}] ` : ''}attempts=${r.attempts} blocks=${r.blocks} qual=[${r.qual?.join(',') ?? ''}] ` +
    `disqualified=[${r.disqualified.join(',')}] flagged=[${r.flagged.join(',')}]`
  );
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_BLOCKS = 1_000;
const MAX_ATTEMPTS = 3;

/** Runs one seeded DKG and checks it (see the module comment). Never throws for a protocol failure. */
export function simulateDkg(p: DkgSimParams, backend: BlsBackend): DkgSimReport {
  const violations: string[] = [];
  const rng = new Rng(`${p.seed}/log`);
  const committee = Array.from({ length: p.n }, (_, i) =>
    deterministicRandom(`${p.seed}/identity/${i + 1}`)(32),
  );
  const all = Array.from({ length: p.n }, (_, i) => i + 1);
  const correct = all.filter((i) => !p.byzantine.has(i));
  const isCorrect = (i: number) => !p.byzantine.has(i);

  let height = 0;
  let timeMs = 1_000_000;
  let seq = 0;
  let attempt = 0;
  let blocks = 0;
  // The mempool outlives an attempt: late transactions of an aborted attempt reach the next session,
  // which must refuse them (DKG_WRONG_SESSION) without blaming anyone.
  let pool: Tx[] = [];
  let final: { session: DkgSession; epochKeys: EpochKeyPair[]; shares: Map<number, DkgShares> } | undefined;

  attempts: for (; attempt < MAX_ATTEMPTS; attempt++) {
    const params: DkgParams = {
      chainId: 'omega-sim',
      epoch: 0,
      attempt,
      committee,
      threshold: p.t,
      complaintWindowMs: 5_000,
      dealingWindowMs: 60_000,
    };
    const sessions = new Map<number, DkgSession>(correct.map((i) => [i, DkgSession.start(params, backend)]));
    const observer = () => sessions.get(correct[0]!)!;
    const epochKeys = all.map((i) =>
      generateEpochKey(deterministicRandom(`${p.seed}/epoch-key/${i}/${attempt}`)),
    );
    const participantRng = all.map((i) => deterministicRandom(`${p.seed}/participant/${i}/${attempt}`));
    const dealt = new Set<number>();
    const complained = new Set<number>();
    const shares = new Map<number, DkgShares>();
    let restarted = false;
    const post = (kind: TxKind, from: number, body: Uint8Array) => {
      // A partition during the first attempt holds back the deals of t+1 correct replicas past the
      // dealing window: the candidate set cannot fill, the session aborts, attempt 1 succeeds.
      const partitioned = p.partition && attempt === 0 && kind === 'deal' && p.partitioned.includes(from);
      const delay = rng.int(0, p.postDelayMsMax) + (partitioned ? 70_000 : 0);
      pool.push({
        kind,
        from,
        body,
        readyAtMs: p.rushing && !isCorrect(from) ? timeMs - 1 : timeMs + delay,
        seq: seq++,
      });
    };

    for (const i of all) post('epoch-key', i, makeEpochKeyBody(observer(), epochKeys[i - 1]!));

    for (;;) {
      if (blocks >= MAX_BLOCKS) {
        violations.push(`no outcome after ${MAX_BLOCKS} blocks (phase ${observer().phase})`);
        break attempts;
      }
      // ── the log decides a block ──
      height += 1;
      blocks += 1;
      timeMs += rng.int(p.blockIntervalMs[0], p.blockIntervalMs[1]);
      const block: DkgBlock = { height, timeMs };
      // The oldest ready transactions (a FIFO mempool: nothing starves), in a seeded order within the block.
      const ready = pool
        .filter((tx) => tx.readyAtMs <= timeMs)
        .sort((a, b) => a.readyAtMs - b.readyAtMs || a.seq - b.seq);
      let included = rng.shuffle(ready.slice(0, p.txPerBlockMax));
      // A rushing adversary also gets its transactions ordered first (say, as the block's proposer).
      if (p.rushing)
        included = [
          ...included.filter((tx) => !isCorrect(tx.from)),
          ...included.filter((tx) => isCorrect(tx.from)),
        ];
      const includedSet = new Set(included);
      pool = pool.filter((tx) => !includedSet.has(tx));

      // ── every correct replica applies it ──
      const outcomes = new Map<number, string[]>();
      for (const [i, s] of sessions) {
        s.onBlock(block);
        const out: string[] = [];
        for (const tx of included) {
          try {
            if (tx.kind === 'epoch-key') s.applyEpochKey(tx.from, tx.body, block);
            else if (tx.kind === 'deal') s.applyDeal(tx.from, tx.body, block);
            else out.push(`verdict:${JSON.stringify(s.applyComplaint(tx.from, tx.body, block))}`);
            out.push('ok');
          } catch (e) {
            if (!isOmegaError(e)) {
              violations.push(`replica ${i}: crash on ${tx.kind} from ${tx.from}: ${String(e)}`);
              break attempts;
            }
            out.push(e.code);
            // A correct replica's transaction is never rejected for a fault of its own.
            if (isCorrect(tx.from) && e.culprits.includes(tx.from)) {
              violations.push(`replica ${i} blamed correct ${tx.from} for its ${tx.kind}: ${e.message}`);
            }
          }
        }
        outcomes.set(i, out);
      }
      const reference = JSON.stringify(outcomes.get(correct[0]!));
      for (const [i, out] of outcomes) {
        if (JSON.stringify(out) !== reference) violations.push(`replica ${i} disagrees on block ${height}`);
      }

      // ── the restart: a correct replica rebuilds its session from its snapshot ──
      if (!restarted && blocks >= p.restart.afterBlocks) {
        restarted = true;
        const r = p.restart.replica;
        const snap = sessions.get(r)!.snapshot();
        const restored = DkgSession.restore(snap, backend);
        if (toHex(restored.snapshot()) !== toHex(snap)) violations.push(`restore of ${r} is not identical`);
        sessions.set(r, restored);
      }

      // ── participants react to the decided block ──
      const view = observer();
      for (const i of all) {
        const kind = p.byzantine.get(i);
        const s = sessions.get(i) ?? view;
        const prng = participantRng[i - 1]!;
        if (s.phase === 'dealing' && !dealt.has(i) && kind !== 'silent') {
          dealt.add(i);
          const fault = dealFault(kind, p.victims.get(i));
          if (fault !== undefined || kind === 'equivocate') {
            post('deal', i, craftDeal(s, i, prng, fault));
            if (kind === 'equivocate') post('deal', i, craftDeal(s, i, prng));
          } else {
            post('deal', i, makeDealBody(s, i, prng));
          }
        }
        if (s.phase === 'complaints' && !complained.has(i) && kind !== 'silent') {
          complained.add(i);
          if (kind === 'false-complaint') {
            for (const body of falseComplaints(s, i, epochKeys[i - 1]!, prng)) post('complaint', i, body);
          } else if (kind === undefined) {
            for (const body of complaintsFor(s, i, epochKeys[i - 1]!.secretKey)) post('complaint', i, body);
          }
        }
        if (s.phase === 'done' && isCorrect(i) && !shares.has(i)) {
          try {
            shares.set(i, deriveShares(s, i, epochKeys[i - 1]!.secretKey));
          } catch (e) {
            violations.push(`correct replica ${i} cannot derive its shares: ${String(e)}`);
            shares.set(i, undefined as unknown as DkgShares);
          }
        }
      }
      if (view.phase === 'aborted') {
        if (attempt + 1 >= MAX_ATTEMPTS)
          violations.push(`aborted ${MAX_ATTEMPTS} times: ${view.progress().abortReason}`);
        continue attempts;
      }
      if (view.phase === 'done' && correct.every((i) => shares.has(i))) {
        final = { session: view, epochKeys, shares };
        // Agreement: byte-identical final states.
        const ref = toHex(view.snapshot());
        for (const [i, s] of sessions)
          if (toHex(s.snapshot()) !== ref) violations.push(`replica ${i} ends in another state`);
        break attempts;
      }
    }
  }

  const report = (extra: Partial<DkgSimReport> = {}): DkgSimReport => ({
    params: p,
    attempts: attempt + 1,
    blocks,
    candidates: final?.session.candidates() ?? [],
    disqualified: final?.session.disqualified().map((d) => d.dealer) ?? [],
    flagged: [...new Set(final?.session.flagged().map((f) => f.member) ?? [])],
    violations,
    ...extra,
  });
  if (p.partition && attempt === 0) violations.push('the partition of attempt 0 did not abort it');
  if (final === undefined) {
    if (violations.length === 0) violations.push('the DKG did not finish');
    return report();
  }
  const { session, epochKeys, shares } = final;
  const result = session.result()!;
  if (violations.length === 0) checkKeys(p, backend, result, correct, shares, violations);
  checkAccountability(p, session, violations);
  // Persistence: a restore of the final state re-derives every correct replica's shares.
  const restored = DkgSession.restore(session.snapshot(), backend);
  for (const i of correct) {
    const again = deriveShares(restored, i, epochKeys[i - 1]!.secretKey);
    const before = shares.get(i);
    if (
      before === undefined ||
      again.signing !== before.signing ||
      again.ibe !== before.ibe ||
      again.certificate !== before.certificate
    ) {
      violations.push(`replica ${i}: shares from the restored session differ`);
    }
  }
  return report({ qual: result.qual });
}

function dealFault(kind: DkgByzantineKind | undefined, victim: number | undefined): DealFault | undefined {
  switch (kind) {
    case 'bad-share':
      return {
        kind: 'bad-share',
        receiver: victim!,
        key: (['signing', 'ibe', 'certificate'] as const)[victim! % 3],
      };
    case 'garbage-ciphertext':
      return { kind: 'garbage-ciphertext', receiver: victim! };
    case 'extra-commitment':
      return { kind: 'extra-commitment' };
    case 'bad-pok':
      return { kind: 'bad-pok' };
    case 'equivocate':
    case 'false-complaint':
    case 'silent':
    case undefined:
      return undefined;
  }
}

/**
 * A false complainer: against one candidate it discloses its real pairwise key (the share is valid, so
 * the complaint is false); against another it posts a forged key with a bogus proof.
 */
function falseComplaints(
  s: DkgSession,
  me: number,
  key: EpochKeyPair,
  rng: (n: number) => Uint8Array,
): Uint8Array[] {
  const others = s.candidates().filter((d) => d !== me);
  const out: Uint8Array[] = [];
  const first = others[0];
  if (first !== undefined) {
    const d = disclosePairwiseKey(
      dealEncryptionContext(s.sessionId, first),
      { index: me, publicKey: key.publicKey },
      key.secretKey,
      s.candidateDeal(first)!.message.ephemeral,
      rng,
    );
    out.push(encodeComplaint({ sessionId: s.sessionId, dealer: first, key: d.key, proof: d.proof }));
  }
  const second = others[1];
  if (second !== undefined) {
    const forged = RISTRETTO255.encode(RISTRETTO255.mulBase(RISTRETTO255.field.random(rng)));
    out.push(encodeComplaint({ sessionId: s.sessionId, dealer: second, key: forged, proof: rng(64) }));
  }
  return out;
}

function checkKeys(
  p: DkgSimParams,
  backend: BlsBackend,
  result: DkgResult,
  correct: readonly number[],
  shares: ReadonlyMap<number, DkgShares>,
  violations: string[],
): void {
  const rng = new Rng(`${p.seed}/signers`);
  const signers = rng
    .shuffle([...correct])
    .slice(0, p.t + 1)
    .sort((a, b) => a - b);
  const message = utf8(`block root ${p.seed}`);
  const partials = signers.map((i) =>
    partialSign(backend, { index: shareIndex(i), value: shares.get(i)!.signing }, message),
  );
  const { signature } = combine(backend, result.signing, message, partials);
  if (!blsVerify(backend, result.signing.publicKey, message, signature)) {
    violations.push(`threshold BLS signature of ${signers.join(',')} does not verify`);
  }
  // The IBE identity key is a BLS signature on the identity under the IBE master key.
  const identity = utf8(`ns|alice|2026-11 ${p.seed}`);
  const idPartials = signers.map((i) =>
    partialSign(backend, { index: shareIndex(i), value: shares.get(i)!.ibe }, identity),
  );
  const idKey = combine(backend, result.ibe, identity, idPartials).signature;
  if (!blsVerify(backend, result.ibe.publicKey, identity, idKey))
    violations.push('IBE identity key does not verify');
  const group = frostGroupFromCommitments(
    p.t,
    p.n,
    result.certificate.commitments.map((c) => ED25519.decode(c)),
  );
  const frostRng = deterministicRandom(`${p.seed}/frost`);
  const fs = signers.map((i) => frostSigner(group, i, shares.get(i)!.certificate));
  const books = fs.map((f) => new NonceBook(f.index));
  const commitments = fs.map((f, k) => books[k]!.generate(f, 1, frostRng)[0]!);
  const tbs = utf8(`tbsCertificate ${p.seed}`);
  const sigShares = new Map(
    fs.map((f, k) => [f.index as number, signShare(group, f, books[k]!.take(0), commitments, tbs)]),
  );
  const sig = aggregate(group, commitments, tbs, sigShares);
  const pub = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(result.certificate.publicKey)]),
    format: 'der',
    type: 'spki',
  });
  if (!nodeVerify(null, tbs, pub, sig)) violations.push('FROST signature does not verify with node:crypto');
}

function checkAccountability(p: DkgSimParams, s: DkgSession, violations: string[]): void {
  const candidates = new Set(s.candidates());
  const disqualified = new Map(s.disqualified().map((d) => [d.dealer, d.reason]));
  const flagged = new Set(s.flagged().map((f) => f.member));
  for (const d of candidates) {
    const kind = p.byzantine.get(d);
    const badShare = kind === 'bad-share' || kind === 'garbage-ciphertext';
    if (badShare && !disqualified.has(d)) violations.push(`dealer ${d} (${kind}) was not disqualified`);
    if (!badShare && disqualified.has(d)) {
      violations.push(`dealer ${d} (${kind ?? 'honest'}) was disqualified: ${disqualified.get(d)}`);
    }
  }
  for (const [d, reason] of disqualified)
    if (reason.length === 0) violations.push(`dealer ${d} disqualified without a reason`);
  for (const [i, kind] of p.byzantine) {
    if ((kind === 'extra-commitment' || kind === 'bad-pok') && candidates.has(i)) {
      violations.push(`invalid dealer ${i} (${kind}) became a candidate`);
    }
    if (kind === 'false-complaint' && s.candidates().filter((d) => d !== i).length > 0 && !flagged.has(i)) {
      violations.push(`false complainer ${i} was not flagged`);
    }
  }
  for (const m of flagged) if (!p.byzantine.has(m)) violations.push(`correct member ${m} was flagged`);
}
