import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { decodeAuditEntry, verifyAuditChain } from '../../src/core/registry/audit.js';
import { decodeAuditRecord } from '../../src/core/registry/audit-records.js';
import { KEY_TYPES, popMessage, revocationMessage } from '../../src/core/registry/keys.js';
import { decodeLookupAnswer, encodeLookupAnswer } from '../../src/core/registry/messages.js';
import type { LookupAnswer } from '../../src/core/registry/messages.js';
import { PublicKeyRegistry } from '../../src/core/registry/registry.js';
import { CRL_REASONS, toPem } from '../../src/core/registry/x509.js';
import { isOmegaError } from '../../src/errors.js';
import { testKey } from './fixtures.js';
import { ADMINS, CHAIN, CONFIG, Harness, HOUR, signedAction } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'omega-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(isOmegaError(e) ? e.code : String(e)).toBe(code);
    return;
  }
  expect.fail(`expected ${code}, got no error`);
}

function certificateOf(a: LookupAnswer): Uint8Array {
  if (a.status !== 'certificate') throw new Error(`expected a certificate, got ${a.status}`);
  return a.certificate;
}

function openssl(args: string[]): { out: string; status: number } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { out: `${r.stdout}${r.stderr}`, status: r.status ?? 1 };
}

describe('registry: registration (Omega §4.1, §6)', () => {
  it('registration without authorization is NOT_AUTHORIZED', () => {
    const h = new Harness();
    expectCode(() => h.register('alice', 'ed25519'), 'NOT_AUTHORIZED');
  });

  it('registration with the wrong key digest is KEY_DIGEST_MISMATCH', () => {
    const h = new Harness();
    h.authorize('alice', 'ed25519', 'a');
    expectCode(() => h.register('alice', 'ed25519', 'b'), 'KEY_DIGEST_MISMATCH');
  });

  it('registration without (or with a wrong) proof of possession is BAD_PROOF_OF_POSSESSION', () => {
    const h = new Harness();
    h.authorize('alice', 'p256');
    const k = testKey('p256');
    expectCode(
      () =>
        h.registry.register(h.ctx(), {
          principal: 'alice',
          spki: k.info.spki,
          proofOfPossession: new Uint8Array(0),
        }),
      'BAD_PROOF_OF_POSSESSION',
    );
    const forBob = k.sign!(popMessage(CHAIN, 'bob', k.info.digest));
    expectCode(
      () =>
        h.registry.register(h.ctx(), { principal: 'alice', spki: k.info.spki, proofOfPossession: forBob }),
      'BAD_PROOF_OF_POSSESSION',
    );
    // Nothing was consumed: the right PoP still registers.
    expect(h.register('alice', 'p256').keyType).toBe('p256');
  });

  it('registration of an invalid key is rejected before authorization is consulted (off-curve point)', () => {
    const h = new Harness();
    const spki = testKey('p256').info.spki.slice();
    spki[spki.length - 1]! ^= 1;
    expectCode(
      () => h.registry.register(h.ctx(), { principal: 'alice', spki, proofOfPossession: new Uint8Array(0) }),
      'NOT_ON_CURVE',
    );
  });

  it.each(KEY_TYPES)(
    'a %s key registers with authorization and PoP; the authorization is consumed',
    (type) => {
      const h = new Harness();
      h.authorize('alice', type);
      const r = h.register('alice', type);
      expect(toHex(r.keyDigest)).toBe(toHex(testKey(type).info.digest));
      expectCode(() => h.register('alice', type), 'NOT_AUTHORIZED');
    },
  );

  it('a new key of the same type supersedes the old one (history kept, one current key per type)', () => {
    const h = new Harness();
    h.authorize('alice', 'ed25519', 'a');
    h.register('alice', 'ed25519', 'a');
    h.authorize('alice', 'ed25519', 'b');
    h.register('alice', 'ed25519', 'b');
    expect(h.registry.keysOf('alice').map((k) => k.status)).toEqual(['superseded', 'current']);
  });
});

describe('registry: lookup with FROST-signed certificates (Omega §4.2)', () => {
  it('before the certificate key exists, lookup of a registered key is CA_NOT_READY; unknown principals get a negative answer', () => {
    const h = new Harness();
    h.authorize('alice', 'ed25519');
    h.register('alice', 'ed25519');
    expectCode(() => h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' }), 'CA_NOT_READY');
    expect(h.registry.lookup(h.ctx(), { principal: 'nobody', keyType: 'ed25519' }).status).toBe('unknown');
    expect(h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'rsa' }).status).toBe('unknown');
  });

  it('first lookup decides a certificate (pending), FROST signs it, later lookups in the window serve the same bytes without a signing round; OpenSSL verifies it', () => {
    const h = new Harness();
    h.installCa();
    const caDer = h.registry.caCertificate()!;
    h.authorize('www.example.com', 'rsa');
    h.register('www.example.com', 'rsa');
    const first = h.registry.lookup(h.ctx(), { principal: 'www.example.com', keyType: 'rsa' });
    expect(first.status).toBe('pending');
    expect(h.registry.pendingSignatures()).toHaveLength(1);
    h.signPending();
    const a = h.registry.lookup(h.ctx(), { principal: 'www.example.com', keyType: 'rsa' });
    const b = h.registry.lookup(h.ctx(60_000), { principal: 'www.example.com', keyType: 'rsa' });
    expect(toHex(certificateOf(b))).toBe(toHex(certificateOf(a)));
    expect(h.registry.pendingSignatures()).toHaveLength(0);
    // The answer survives its encoding.
    expect(decodeLookupAnswer(encodeLookupAnswer(a))).toEqual(a);
    const caPath = join(dir, 'ca.pem');
    const certPath = join(dir, 'www.pem');
    writeFileSync(caPath, toPem(caDer, 'CERTIFICATE'));
    writeFileSync(certPath, toPem(certificateOf(a), 'CERTIFICATE'));
    const r = openssl([
      'verify',
      '-attime',
      String(Math.floor(h.timeMs / 1000)),
      '-CAfile',
      caPath,
      certPath,
    ]);
    expect(r.out).toContain(': OK');
    const x = new X509Certificate(Buffer.from(certificateOf(a)));
    expect(x.checkIssued(new X509Certificate(Buffer.from(caDer)))).toBe(true);
  });

  it('a new validity window gets a new certificate (short lifetimes, Omega §4.3)', () => {
    const h = new Harness();
    h.installCa();
    h.authorize('alice', 'ed25519');
    h.register('alice', 'ed25519');
    h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    h.signPending();
    const a = h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    const b = h.registry.lookup(h.ctx(HOUR), { principal: 'alice', keyType: 'ed25519' });
    expect(b.status).toBe('pending');
    h.signPending();
    const c = h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    expect(toHex(certificateOf(c))).not.toBe(toHex(certificateOf(a)));
    if (a.status === 'certificate' && c.status === 'certificate')
      expect(c.notBeforeMs).toBeGreaterThan(a.notBeforeMs);
  });

  it('a bad aggregated signature is refused (BAD_SIGNATURE) and an unknown signing id is UNKNOWN_SIGNING_REQUEST', () => {
    const h = new Harness();
    h.registry.installCertificateKey(h.ctx(), h.ca.publicKey, 365 * 24 * HOUR);
    const [p] = h.registry.pendingSignatures();
    const sig = h.ca.sign(p!.tbs);
    sig[5]! ^= 1;
    expectCode(() => h.registry.completeSignature(p!.id, sig), 'BAD_SIGNATURE');
    expectCode(() => h.registry.completeSignature(new Uint8Array(32), sig), 'UNKNOWN_SIGNING_REQUEST');
    expect(h.registry.caCertificate()).toBeUndefined();
  });
});

describe('registry: revocation (Omega §4.3, §6) and CRL', () => {
  function setup() {
    const h = new Harness();
    h.installCa();
    h.authorize('alice', 'ed25519');
    h.register('alice', 'ed25519');
    h.authorize('alice', 'x25519');
    h.register('alice', 'x25519');
    h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    h.signPending();
    return h;
  }

  it('revocation signed by someone other than the owner is REVOCATION_NOT_AUTHORIZED', () => {
    const h = setup();
    const owner = testKey('ed25519');
    const mallory = testKey('ed25519', 'mallory');
    const msg = revocationMessage(CHAIN, 'alice', owner.info.digest, CRL_REASONS.keyCompromise);
    for (const [signature, signerDigest] of [
      [mallory.sign!(msg), owner.info.digest],
      [mallory.sign!(msg), mallory.info.digest],
      [owner.sign!(revocationMessage('other', 'alice', owner.info.digest, 1)), owner.info.digest],
    ] as const) {
      expectCode(
        () =>
          h.registry.revoke(h.ctx(), {
            principal: 'alice',
            keyDigest: owner.info.digest,
            reason: 1,
            signerDigest,
            signature,
          }),
        'REVOCATION_NOT_AUTHORIZED',
      );
    }
  });

  it('the owner revokes; the CRL lists the certificate and verifies; lookups answer revoked; the key is never certified again', () => {
    const h = setup();
    const owner = testKey('ed25519');
    const cert = certificateOf(h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' }));
    const r = h.registry.revoke(h.ctx(), {
      principal: 'alice',
      keyDigest: owner.info.digest,
      reason: CRL_REASONS.keyCompromise,
      signerDigest: owner.info.digest,
      signature: owner.sign!(revocationMessage(CHAIN, 'alice', owner.info.digest, CRL_REASONS.keyCompromise)),
    });
    expect(r.crl).toBeDefined();
    h.signPending();
    const crl = h.registry.latestCrl()!;
    const caPath = join(dir, 'ca2.pem');
    const crlPath = join(dir, 'crl2.pem');
    const certPath = join(dir, 'alice.pem');
    writeFileSync(caPath, toPem(h.registry.caCertificate()!, 'CERTIFICATE'));
    writeFileSync(crlPath, toPem(crl, 'X509 CRL'));
    writeFileSync(certPath, toPem(cert, 'CERTIFICATE'));
    expect(openssl(['crl', '-in', crlPath, '-CAfile', caPath, '-verify', '-noout']).out).toContain(
      'verify OK',
    );
    const v = openssl([
      'verify',
      '-attime',
      String(Math.floor(h.timeMs / 1000)),
      '-crl_check',
      '-CAfile',
      caPath,
      '-CRLfile',
      crlPath,
      certPath,
    ]);
    expect(v.out).toContain('certificate revoked');
    const answer = h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    expect(answer.status).toBe('revoked');
    // Revoked key never certified again: not even after a new authorization.
    expectCode(
      () =>
        h.registry.admin(
          h.ctx(),
          signedAction(
            { kind: 'authorize', principal: 'alice', keyType: 'ed25519', keyDigest: owner.info.digest },
            ADMINS.slice(0, 2),
          ),
        ),
      'KEY_REVOKED',
    );
    expectCode(() => h.register('alice', 'ed25519'), 'KEY_REVOKED');
    expect(h.registry.lookup(h.ctx(3 * HOUR), { principal: 'alice', keyType: 'ed25519' }).status).toBe(
      'revoked',
    );
    expect(h.registry.pendingSignatures()).toHaveLength(0);
  });

  it('revoked key never certified again: a certificate still waiting for its signature is dropped', () => {
    const h = setup();
    const owner = testKey('ed25519');
    h.registry.lookup(h.ctx(HOUR), { principal: 'alice', keyType: 'ed25519' }); // new window: pending
    expect(h.registry.pendingSignatures().map((p) => p.kind)).toEqual(['certificate']);
    h.registry.revoke(h.ctx(), {
      principal: 'alice',
      keyDigest: owner.info.digest,
      reason: 0,
      signerDigest: owner.info.digest,
      signature: owner.sign!(revocationMessage(CHAIN, 'alice', owner.info.digest, 0)),
    });
    expect(h.registry.pendingSignatures().map((p) => p.kind)).toEqual(['crl']);
  });

  it('an X25519 key (cannot sign) is revoked by a current signing key of its principal, not by itself', () => {
    const h = setup();
    const x = testKey('x25519');
    const ed = testKey('ed25519');
    const msg = revocationMessage(CHAIN, 'alice', x.info.digest, 4);
    expectCode(
      () =>
        h.registry.revoke(h.ctx(), {
          principal: 'alice',
          keyDigest: x.info.digest,
          reason: 4,
          signerDigest: x.info.digest,
          signature: new Uint8Array(64),
        }),
      'REVOCATION_NOT_AUTHORIZED',
    );
    h.registry.revoke(h.ctx(), {
      principal: 'alice',
      keyDigest: x.info.digest,
      reason: 4,
      signerDigest: ed.info.digest,
      signature: ed.sign!(msg),
    });
    expect(h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'x25519' }).status).toBe('revoked');
  });

  it("k administrators revoke on the owner's behalf; fewer than k cannot", () => {
    const h = setup();
    const owner = testKey('ed25519');
    const action = { kind: 'revoke', principal: 'alice', keyDigest: owner.info.digest, reason: 9 } as const;
    expectCode(() => h.registry.admin(h.ctx(), signedAction(action, [ADMINS[2]!])), 'ADMIN_QUORUM_NOT_MET');
    const r = h.registry.admin(h.ctx(), signedAction(action, [ADMINS[1]!, ADMINS[2]!]));
    expect(r.crl).toBeDefined();
    expect(h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' }).status).toBe('revoked');
  });

  it('a CRL is due on schedule (after half its lifetime)', () => {
    const h = setup();
    expect(h.registry.crlDue(h.timeMs)).toBe(true);
    h.registry.issueCrl(h.ctx());
    h.signPending();
    expect(h.registry.crlDue(h.timeMs + HOUR)).toBe(false);
    expect(h.registry.crlDue(h.timeMs + 12 * HOUR)).toBe(true);
  });
});

describe('registry: k-of-m administration', () => {
  const action = {
    kind: 'authorize',
    principal: 'bob',
    keyType: 'ed25519',
    keyDigest: testKey('ed25519', 'bob').info.digest,
  } as const;

  it('fewer than k admin signatures is ADMIN_QUORUM_NOT_MET', () => {
    expectCode(
      () => new Harness().registry.admin(new Harness().ctx(), signedAction(action, [ADMINS[0]!])),
      'ADMIN_QUORUM_NOT_MET',
    );
  });

  it('duplicate admin signatures are DUPLICATE_ADMIN_SIGNATURE (they count once)', () => {
    const h = new Harness();
    expectCode(
      () => h.registry.admin(h.ctx(), signedAction(action, [ADMINS[0]!, ADMINS[0]!])),
      'DUPLICATE_ADMIN_SIGNATURE',
    );
  });

  it('a non-admin signer is NOT_AN_ADMIN', () => {
    const h = new Harness();
    const outsider = {
      publicKey: testKey('ed25519', 'outsider').info.raw,
      sign: testKey('ed25519', 'outsider').sign!,
    };
    expectCode(() => h.registry.admin(h.ctx(), signedAction(action, [ADMINS[0]!, outsider])), 'NOT_AN_ADMIN');
  });

  it('a bad admin signature is BAD_SIGNATURE naming the signer', () => {
    const h = new Harness();
    const s = signedAction(action, [ADMINS[0]!, ADMINS[1]!]);
    const sigs = s.signatures.map((x, i) =>
      i === 1 ? { ...x, signature: x.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) } : x,
    );
    try {
      h.registry.admin(h.ctx(), { ...s, signatures: sigs });
      expect.fail('accepted');
    } catch (e) {
      expect(isOmegaError(e, 'BAD_SIGNATURE')).toBe(true);
      expect((e as { culprits: number[] }).culprits).toHaveLength(1);
    }
  });

  it('a replayed admin action is ADMIN_ACTION_REPLAYED; an expired one is ADMIN_ACTION_EXPIRED; another chain is WRONG_CHAIN', () => {
    const h = new Harness();
    const s = signedAction(action, [ADMINS[0]!, ADMINS[1]!]);
    h.registry.admin(h.ctx(), s);
    expectCode(() => h.registry.admin(h.ctx(), s), 'ADMIN_ACTION_REPLAYED');
    expectCode(() => h.registry.admin(h.ctx(25 * HOUR), s), 'ADMIN_ACTION_EXPIRED');
    expectCode(
      () => h.registry.admin(h.ctx(), signedAction(action, ADMINS.slice(0, 2), { chainId: 'other' })),
      'WRONG_CHAIN',
    );
  });

  it('administrators add and remove administrators and change the policy; invalid policies are INVALID_POLICY', () => {
    const h = new Harness();
    const d = {
      publicKey: testKey('ed25519', 'admin-d').info.raw,
      sign: testKey('ed25519', 'admin-d').sign!,
    };
    h.registry.admin(
      h.ctx(),
      signedAction({ kind: 'add-admin', publicKey: d.publicKey }, ADMINS.slice(0, 2)),
    );
    expect(h.registry.administrators).toHaveLength(4);
    h.registry.admin(
      h.ctx(),
      signedAction(
        { kind: 'set-policy', policy: { adminThreshold: 3, certLifetimeMs: HOUR, crlLifetimeMs: HOUR } },
        [ADMINS[0]!, d],
      ),
    );
    expect(h.registry.policy.adminThreshold).toBe(3);
    expectCode(
      () => h.registry.admin(h.ctx(), signedAction(action, [ADMINS[0]!, d])),
      'ADMIN_QUORUM_NOT_MET',
    );
    expectCode(
      () =>
        h.registry.admin(
          h.ctx(),
          signedAction(
            { kind: 'set-policy', policy: { adminThreshold: 5, certLifetimeMs: HOUR, crlLifetimeMs: HOUR } },
            [ADMINS[0]!, ADMINS[1]!, d],
          ),
        ),
      'INVALID_POLICY',
    );
    h.registry.admin(
      h.ctx(),
      signedAction({ kind: 'remove-admin', publicKey: ADMINS[2]!.publicKey }, [ADMINS[0]!, ADMINS[1]!, d]),
    );
    expectCode(
      () => h.registry.admin(h.ctx(), signedAction(action, [ADMINS[0]!, ADMINS[1]!, ADMINS[2]!])),
      'NOT_AN_ADMIN',
    );
    expectCode(
      () =>
        h.registry.admin(
          h.ctx(),
          signedAction({ kind: 'remove-admin', publicKey: d.publicKey }, [ADMINS[0]!, ADMINS[1]!, d]),
        ),
      'INVALID_POLICY',
    );
  });
});

describe('registry: audit log, snapshots and determinism', () => {
  function busy(): Harness {
    const h = new Harness();
    h.installCa();
    h.authorize('alice', 'ed25519');
    h.register('alice', 'ed25519');
    h.authorize('alice', 'rsa');
    h.register('alice', 'rsa');
    h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'rsa' });
    return h;
  }

  it('the audit chain verifies, and detects a removed, altered or reordered entry', () => {
    const h = busy();
    const entries = h.registry.auditEntries();
    expect(entries.map((e) => decodeAuditEntry(e).kind)).toEqual([
      'ca',
      'admin',
      'register',
      'admin',
      'register',
      'issue',
    ]);
    const head = h.registry.auditHead;
    verifyAuditChain(CHAIN, entries, head);
    expectCode(
      () => verifyAuditChain(CHAIN, [...entries.slice(0, 2), ...entries.slice(3)], head),
      'AUDIT_CHAIN_BROKEN',
    );
    expectCode(() => verifyAuditChain(CHAIN, entries.slice(0, -1), head), 'AUDIT_CHAIN_BROKEN');
    const altered = entries.map((e) => e.slice());
    altered[2]![altered[2]!.length - 1]! ^= 1;
    expectCode(() => verifyAuditChain(CHAIN, altered, head), 'AUDIT_CHAIN_BROKEN');
    const reordered = [entries[0]!, entries[2]!, entries[1]!, ...entries.slice(3)];
    expectCode(() => verifyAuditChain(CHAIN, reordered, head), 'AUDIT_CHAIN_BROKEN');
    expectCode(() => verifyAuditChain('other-chain', entries, head), 'AUDIT_CHAIN_BROKEN');
  });

  it('snapshot → restore gives the same state (byte-identical snapshot, same answers)', () => {
    const h = busy();
    const snap = h.registry.snapshot();
    const restored = PublicKeyRegistry.restore(CONFIG, snap);
    expect(toHex(restored.snapshot())).toBe(toHex(snap));
    expect(toHex(restored.stateHash())).toBe(toHex(h.registry.stateHash()));
    expect(restored.pendingSignatures().map((p) => toHex(p.id))).toEqual(
      h.registry.pendingSignatures().map((p) => toHex(p.id)),
    );
  });

  it('restore rejects a snapshot with a broken audit chain, trailing bytes or another chain', () => {
    const snap = busy().registry.snapshot();
    const bad = snap.slice();
    bad[bad.length - 3]! ^= 1;
    expectCode(() => PublicKeyRegistry.restore(CONFIG, bad), 'AUDIT_CHAIN_BROKEN');
    const trailing = new Uint8Array(snap.length + 1);
    trailing.set(snap);
    expectCode(() => PublicKeyRegistry.restore(CONFIG, trailing), 'INVALID_ENCODING');
    expectCode(() => PublicKeyRegistry.restore({ ...CONFIG, chainId: 'other' }, snap), 'WRONG_CHAIN');
  });

  it('two replicas fed the same operations reach byte-identical state (deterministic TBS, serials, CRLs)', () => {
    const a = busy();
    const b = busy();
    expect(toHex(a.registry.snapshot())).toBe(toHex(b.registry.snapshot()));
    expect(a.registry.pendingSignatures().map((p) => toHex(p.tbs))).toEqual(
      b.registry.pendingSignatures().map((p) => toHex(p.tbs)),
    );
  });
});

describe('registry: bounded state', () => {
  it('expired certificates are pruned (signed or still pending), and a new lookup issues afresh', () => {
    const h = new Harness();
    h.installCa();
    h.authorize('alice', 'ed25519');
    h.register('alice', 'ed25519');
    h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    h.signPending();
    h.registry.lookup(h.ctx(HOUR), { principal: 'alice', keyType: 'ed25519' }); // pending, never signed
    expect(h.registry.pruneExpiredCertificates(h.timeMs)).toBe(0);
    expect(h.registry.pruneExpiredCertificates(h.timeMs + 4 * HOUR)).toBe(2);
    expect(h.registry.pendingSignatures()).toHaveLength(0);
    expect(h.registry.lookup(h.ctx(4 * HOUR), { principal: 'alice', keyType: 'ed25519' }).status).toBe(
      'pending',
    );
  });
});

describe('registry: audit records (what `omega audit` lists)', () => {
  it('every entry decodes to its typed record; revocations say who revoked', () => {
    const h = new Harness();
    h.installCa();
    h.authorize('alice', 'ed25519');
    h.register('alice', 'ed25519');
    h.registry.lookup(h.ctx(), { principal: 'alice', keyType: 'ed25519' });
    const k = testKey('ed25519');
    h.registry.revoke(h.ctx(), {
      principal: 'alice',
      keyDigest: k.info.digest,
      reason: 1,
      signerDigest: k.info.digest,
      signature: k.sign!(revocationMessage(CHAIN, 'alice', k.info.digest, 1)),
    });
    const records = h.registry.auditEntries().map((e) => decodeAuditRecord(decodeAuditEntry(e)));
    expect(records.map((r) => r.kind)).toEqual(['ca', 'admin', 'register', 'issue', 'revoke', 'crl']);
    const admin = records[1]!;
    if (admin.kind !== 'admin') throw new Error('expected admin');
    expect(admin.action.action.kind).toBe('authorize');
    expect(admin.signers.map(toHex).sort()).toEqual(
      ADMINS.slice(0, 2)
        .map((a) => toHex(a.publicKey))
        .sort(),
    );
    const revoke = records[4]!;
    expect(revoke.kind === 'revoke' && revoke.by).toBe('key');
    const entry = decodeAuditEntry(h.registry.auditEntries()[2]!);
    expectCode(
      () => decodeAuditRecord({ ...entry, body: new Uint8Array([...entry.body, 0]) }),
      'INVALID_ENCODING',
    );
  });
});
