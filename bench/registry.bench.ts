/**
 * Public key registry benchmarks (`npm run bench -- registry`): the pure core's per-request costs, each
 * next to a floor measured in the same run.
 *
 * Floors: the one cryptographic operation each step cannot avoid — the strict point decode for key
 * validation, Omega §4.1's modular exponentiation for RSA, a native Ed25519 / RSA-PSS verification for PoP
 * and admin signatures, and the FROST signing round for a certificate (to show what share of issuing a
 * certificate the deterministic TBS costs). Omega (1996) measured registration 980 ms, lookup 411 ms and
 * revocation 414 ms end to end; the cluster numbers belong to `npm run bench:cluster`.
 */
import { createPrivateKey, constants, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import { nodeEd25519Verify } from '../src/api/ed25519.js';
import { utf8 } from '../src/crypto/bytes.js';
import {
  aggregate,
  frostGroupFromCommitments,
  frostSigner,
  NonceBook,
  signShare,
} from '../src/crypto/frost.js';
import type { NonceCommitment } from '../src/crypto/frost.js';
import { ED25519 } from '../src/crypto/group.js';
import { deterministicRandom } from '../src/crypto/rand.js';
import { deal } from '../src/crypto/vss.js';
import { adminSignBytes, encodeAdminAction } from '../src/core/registry/admin.js';
import {
  checkProofOfPossession,
  parsePublicKey,
  popMessage,
  publicKeyFromRaw,
} from '../src/core/registry/keys.js';
import { PublicKeyRegistry } from '../src/core/registry/registry.js';
import { modPow } from '../src/core/registry/rsa.js';
import { assembleSigned, buildCertificateTbs, certificateSerial } from '../src/core/registry/x509.js';
import { nodeKeySignatureVerify } from '../src/runtime/registry/verify.js';
import { measure, printTable } from './harness.js';
import type { Row } from './harness.js';

const CHAIN = 'bench';
const HOUR = 3600_000;
const ADMIN_SAMPLES = 300;

function frost() {
  const rng = deterministicRandom('bench/registry/frost');
  const d = deal(ED25519, { threshold: 1, parties: 4 }, rng);
  const group = frostGroupFromCommitments(1, 4, d.commitments);
  const signers = d.shares.map((s) => frostSigner(group, s.index, s.value));
  const books = signers.map((s) => new NonceBook(s.index));
  return {
    publicKey: group.publicKey,
    sign(message: Uint8Array): Uint8Array {
      const commitments: NonceCommitment[] = [0, 1].map((i) => books[i]!.generate(signers[i]!, 1, rng)[0]!);
      const shares = new Map(
        commitments.map((c) => [
          c.index,
          signShare(group, signers[c.index - 1]!, books[c.index - 1]!.take(c.seq), commitments, message),
        ]),
      );
      return aggregate(group, commitments, message, shares);
    },
  };
}

export async function run(): Promise<void> {
  const vectors = new URL('../test/vectors/registry/', import.meta.url);
  const rsaPub = readFileSync(new URL('rsa2048.pub.pem', vectors), 'utf8');
  const rsaPriv = createPrivateKey(readFileSync(new URL('rsa2048.key.pem', vectors), 'utf8'));
  const rsaSpki = new Uint8Array(Buffer.from(rsaPub.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
  const rsa = parsePublicKey(rsaSpki);
  const n = BigInt(`0x${Buffer.from(AsnConvert.parse(rsa.raw, RSAPublicKey).modulus).toString('hex')}`);
  const seed = sha256(utf8('bench/registry/ed25519'));
  const ed = publicKeyFromRaw('ed25519', ed25519.getPublicKey(seed));
  const edPop = ed25519.sign(popMessage(CHAIN, 'alice', ed.digest), seed);
  const rsaPop = new Uint8Array(
    nodeSign('sha256', popMessage(CHAIN, 'alice', rsa.digest), {
      key: rsaPriv,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    }),
  );
  const ca = frost();
  const T0 = Date.UTC(2026, 10, 21);
  const tbsOf = (i: number) =>
    buildCertificateTbs({
      ca: { chainId: CHAIN, publicKey: ca.publicKey },
      principal: 'alice',
      key: rsa,
      serial: certificateSerial(CHAIN, 'alice', rsa.digest, T0, i),
      notBeforeMs: T0,
      notAfterMs: T0 + HOUR,
    });
  const tbs = tbsOf(0);
  const tbsSignature = ca.sign(tbs);

  // A registry with one registered key and a CA, for lookups.
  const admins = [0, 1, 2].map((i) => sha256(utf8(`bench/admin/${i}`)));
  const registry = PublicKeyRegistry.genesis(
    { chainId: CHAIN, verifyKeySignature: nodeKeySignatureVerify, verifyEd25519: nodeEd25519Verify },
    {
      admins: admins.map((s) => ed25519.getPublicKey(s)),
      policy: { adminThreshold: 2, certLifetimeMs: 2 * HOUR, crlLifetimeMs: 24 * HOUR },
    },
  );
  let height = 0;
  let time = T0;
  const ctx = (dt = 1) => ({ height: ++height, timeMs: (time += dt) });
  let actionId = 0;
  const action = (principal: string) => {
    const id = new Uint8Array(16);
    new DataView(id.buffer).setUint32(12, ++actionId);
    const bytes = encodeAdminAction({
      chainId: CHAIN,
      actionId: id,
      notAfterMs: T0 + 24 * HOUR,
      action: { kind: 'authorize', principal, keyType: 'ed25519', keyDigest: ed.digest },
    });
    const m = adminSignBytes(bytes);
    return {
      actionBytes: bytes,
      signatures: admins
        .slice(0, 2)
        .map((s) => ({ admin: ed25519.getPublicKey(s), signature: ed25519.sign(m, s) })),
    };
  };
  registry.installCertificateKey(ctx(), ca.publicKey, 365 * 24 * HOUR);
  for (const p of registry.pendingSignatures()) registry.completeSignature(p.id, ca.sign(p.tbs));
  registry.admin(ctx(), action('alice'));
  registry.register(ctx(), { principal: 'alice', spki: ed.spki, proofOfPossession: edPop });
  registry.lookup(ctx(), { principal: 'alice', keyType: 'ed25519' });
  for (const p of registry.pendingSignatures()) registry.completeSignature(p.id, ca.sign(p.tbs));

  const edVerifyFloor = await measure('Ed25519 verify (node:crypto)', () =>
    nodeEd25519Verify(ed.raw, popMessage(CHAIN, 'alice', ed.digest), edPop),
  );
  const rsaVerifyFloor = await measure('RSA-PSS-2048 verify (node:crypto)', () =>
    nodeKeySignatureVerify(rsa, popMessage(CHAIN, 'alice', rsa.digest), rsaPop),
  );
  const decodeFloor = await measure('Ed25519 strict point decode', () => ED25519.decode(ed.raw));
  const modPowFloor = await measure('2^(n(n-1)) mod n, 2048-bit n (Omega §4.1)', () =>
    modPow(2n, n * (n - 1n), n),
  );
  const frostFloor = await measure('FROST sign 2-of-4 (commit, 2 shares, aggregate)', () => ca.sign(tbs));
  let serial = 0;
  let principalCounter = 0;
  const actions = Array.from({ length: ADMIN_SAMPLES + 2 }, (_, i) => action(`p${i}`));
  const adminQuorum = await measure('Ed25519 verify ×2 (node:crypto)', () => {
    nodeEd25519Verify(ed.raw, popMessage(CHAIN, 'alice', ed.digest), edPop);
    nodeEd25519Verify(ed.raw, popMessage(CHAIN, 'alice', ed.digest), edPop);
  });
  const rows: Row[] = [
    {
      name: 'validate Ed25519 SPKI',
      m: await measure('validate Ed25519 SPKI', () => parsePublicKey(ed.spki)),
      floor: decodeFloor,
    },
    {
      name: 'validate RSA-2048 SPKI (all §4.1 checks)',
      m: await measure('validate RSA', () => parsePublicKey(rsaSpki), { minTimeMs: 2000 }),
      floor: modPowFloor,
    },
    {
      name: 'register checks, Ed25519 (validate + PoP)',
      m: await measure('reg ed', () =>
        checkProofOfPossession(parsePublicKey(ed.spki), CHAIN, 'alice', edPop, nodeKeySignatureVerify),
      ),
      floor: edVerifyFloor,
    },
    {
      name: 'register checks, RSA-2048 (validate + PoP)',
      m: await measure('reg rsa', () =>
        checkProofOfPossession(parsePublicKey(rsaSpki), CHAIN, 'alice', rsaPop, nodeKeySignatureVerify),
      ),
      floor: rsaVerifyFloor,
    },
    {
      name: 'admin action, 2-of-3 (authorize)',
      // Actions are signed ahead of time: administrators sign on their own machines.
      m: await measure('admin', () => registry.admin(ctx(), actions[principalCounter++]!), {
        minTimeMs: 0,
        minSamples: ADMIN_SAMPLES,
      }),
      floor: adminQuorum,
    },
    {
      name: 'build end-entity TBS (RSA key)',
      m: await measure('tbs', () => tbsOf(++serial)),
      floor: frostFloor,
    },
    {
      name: 'lookup, cached certificate',
      m: await measure('lookup cached', () =>
        registry.lookup(ctx(), { principal: 'alice', keyType: 'ed25519' }),
      ),
      floor: edVerifyFloor,
    },
    {
      name: 'complete signature (verify + assemble DER)',
      m: await measure('complete', () => {
        if (!nodeEd25519Verify(ca.publicKey, tbs, tbsSignature)) throw new Error('bad signature');
        return assembleSigned('certificate', tbs, tbsSignature);
      }),
      floor: edVerifyFloor,
    },
  ];
  printTable('Public key registry core (pure; per operation)', rows);
}
