import { X509Certificate, generateKeyPairSync, sign, verify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deterministicRandom } from '../../src/crypto/rand.js';
import { MemoryDisk, MemoryStorage } from '../../src/runtime/storage/index.js';
import {
  createStoredIdentity,
  ed25519PublicKeyFromKeyObject,
  ed25519PublicKeyObject,
  generateReplicaIdentity,
  identityFromSeed,
  loadStoredIdentity,
} from '../../src/runtime/identity.js';

describe('replica identity', () => {
  it('is a pure function of the seed (same seed, byte-identical certificate)', () => {
    const a = generateReplicaIdentity(deterministicRandom('replica-1'));
    const b = identityFromSeed(a.seed);
    expect(b.certificatePem).toBe(a.certificatePem);
    expect(b.publicKey).toEqual(a.publicKey);
  });

  it('the certificate carries the identity key and is signed by it (RFC 8410), as node:crypto sees it', () => {
    const id = generateReplicaIdentity(deterministicRandom('replica-2'));
    const cert = new X509Certificate(id.certificatePem);
    expect(ed25519PublicKeyFromKeyObject(cert.publicKey)).toEqual(id.publicKey);
    expect(cert.verify(ed25519PublicKeyObject(id.publicKey))).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.ca).toBe(false);
    const msg = Buffer.from('consensus vote');
    const sig = sign(null, msg, id.privateKey);
    expect(verify(null, msg, cert.publicKey, sig)).toBe(true);
  });

  it('openssl accepts the certificate (a real client no one here wrote)', () => {
    const id = generateReplicaIdentity(deterministicRandom('replica-3'));
    const dir = mkdtempSync(join(tmpdir(), 'omega-id-'));
    try {
      const file = join(dir, 'cert.pem');
      writeFileSync(file, id.certificatePem);
      const out = execFileSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8' });
      expect(out.trim()).toBe(`${file}: OK`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects seeds and keys of the wrong length, and non-Ed25519 keys', () => {
    expect(() => identityFromSeed(new Uint8Array(31))).toThrow(/INVALID_LENGTH/);
    expect(() => ed25519PublicKeyObject(new Uint8Array(33))).toThrow(/INVALID_LENGTH/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(() => ed25519PublicKeyFromKeyObject(ec)).toThrow(/PEER_AUTH_FAILED/);
  });
});

describe('replica identity in the sealed store', () => {
  it('is created once, sealed (never in the clear at rest), and reloads to the same key and certificate', async () => {
    const disk = new MemoryDisk();
    const operatorSecret = { kind: 'keyFile' as const, key: deterministicRandom('op')(32) };
    const store = await MemoryStorage.open(disk, { operatorSecret, random: deterministicRandom('store') });
    const created = createStoredIdentity(store, deterministicRandom('identity'));
    expect(() => createStoredIdentity(store, deterministicRandom('identity-2'))).toThrow(/INVALID_ARGUMENT/);
    store.close();
    expect(Buffer.from(disk.bytesAtRest()).indexOf(Buffer.from(created.seed))).toBe(-1);
    const reopened = await MemoryStorage.open(disk, {
      operatorSecret,
      random: deterministicRandom('store-2'),
    });
    const loaded = loadStoredIdentity(reopened);
    expect(loaded?.publicKey).toEqual(created.publicKey);
    expect(loaded?.certificatePem).toBe(created.certificatePem);
    reopened.close();
    const empty = await MemoryStorage.open(new MemoryDisk(), { operatorSecret });
    expect(loadStoredIdentity(empty)).toBeUndefined();
    empty.close();
  });
});
