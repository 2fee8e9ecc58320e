/**
 * Published vectors for the G1 ciphersuite BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_: real drand
 * beacons of the `bls-unchained-g1-rfc9380` scheme (G2 public key, G1 signatures, message
 * sha256(uint64_be(round))), verified by every backend through Omega's `verify`.
 *
 * Sources (values copied as data, checked against each other where they overlap):
 *  - quicknet chain 52db9ba7…e971, public key and rounds 2 and 3: ChainSafe/forest,
 *    src/beacon/signatures/tests.rs (commit 734b117c), which cites https://api.drand.sh/52db…/info
 *    and /public/2, /public/3;
 *  - quicknet round 1000: randa-mu/drand-client-rs, src/verify.rs (commit 09b22d47), test
 *    `g2_rfc_verifies_a_beacon`;
 *  - the "walkthrough" test chain, round 38 (with its randomness): drand/drand-client,
 *    test/beacon-verification.test.ts (commit 11135291), "signatures on G1 with DST";
 *  - the deprecated `bls-unchained-on-g1` "fastnet" beacon, round 3: same drand-client file,
 *    "signatures on G1" — signed with the *G2* DST on G1, the pitfall research/protocol-design.md §4.2
 *    warns about.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BlsBackend } from '../../src/crypto/bls/backend.js';
import { BLS_SIG_DST } from '../../src/crypto/bls/encoding.js';
import { loadBlsBackend } from '../../src/crypto/bls/load.js';
import { nobleBackend } from '../../src/crypto/bls/noble.js';
import { verify } from '../../src/crypto/bls/threshold.js';
import { fromHex, toHex, u64be, utf8 } from '../../src/crypto/bytes.js';

const QUICKNET_PK =
  '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a';
const WALKTHROUGH_PK =
  '81d320f220ee9c79e60e19dedc838c31e3ab919b15481e9feb52f643628c4f6a13fdc52129493875a818109d767272ca0541cbcdcea9335f2870d781b39b845ba8cbd44fdfe4967781cf72ca5917fc9398bcf97ca0548ed5a709016c4b1ff0f3';
const FASTNET_PK =
  'a0b862a7527fee3a731bcb59280ab6abd62d5c0b6ea03dc4ddf6612fdfc9d01f01c31542541771903475eb1ec6615f8d0df0b8b6dce385811d6dcf8cbefb8759e5e616a3dfd054c928940766d9a5b9db91e3b697e5d70a975181e007f87fca5e';

const BEACONS = [
  {
    chain: 'quicknet',
    pk: QUICKNET_PK,
    round: 2n,
    signature:
      'b6b6a585449b66eb12e875b64fcbab3799861a00e4dbf092d99e969a5eac57dd3f798acf61e705fe4f093db926626807',
  },
  {
    chain: 'quicknet',
    pk: QUICKNET_PK,
    round: 3n,
    signature:
      'b3fab6df720b68cc47175f2c777e86d84187caab5770906f515ff1099cb01e4deaa027075d860823e49477b93c72bd64',
  },
  {
    chain: 'quicknet',
    pk: QUICKNET_PK,
    round: 1000n,
    signature:
      'b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39',
  },
  {
    chain: 'walkthrough',
    pk: WALKTHROUGH_PK,
    round: 38n,
    signature:
      '95c93585c513ebbcb4777ff15599b3140e5ec0295faa0e483f3deadd88fa6d43f0d3703e3a4ce106e8fd6c6987f32126',
    randomness: 'b2fc21325a24904a6a9e81a6c63f65f6cec3f0b2400df3f4a56b214770e9ccca',
  },
] as const;

/** drand's unchained message: sha256(uint64_be(round)). */
const roundMessage = (round: bigint): Uint8Array => sha256(u64be(round));

let backends: [string, BlsBackend][];
beforeAll(async () => {
  backends = [
    ['noble', nobleBackend],
    ['mcl', await loadBlsBackend({ prefer: 'mcl' })],
  ];
});

describe('drand bls-unchained-g1-rfc9380 beacons verify under the Omega ciphersuite', () => {
  for (const b of BEACONS) {
    it(`${b.chain} round ${b.round} verifies on every backend, and not for round ${b.round + 1n}`, () => {
      for (const [, backend] of backends) {
        expect(verify(backend, fromHex(b.pk), roundMessage(b.round), fromHex(b.signature))).toBe(true);
        expect(verify(backend, fromHex(b.pk), roundMessage(b.round + 1n), fromHex(b.signature))).toBe(false);
      }
    });
  }

  it('the published randomness is sha256(signature) (drand spec), tying the vector together', () => {
    const w = BEACONS[3];
    expect(toHex(sha256(fromHex(w.signature)))).toBe(w.randomness);
  });

  it('a signature from another chain does not verify under the quicknet key', () => {
    for (const [, backend] of backends) {
      expect(verify(backend, fromHex(QUICKNET_PK), roundMessage(38n), fromHex(BEACONS[3].signature))).toBe(
        false,
      );
    }
  });
});

describe('DST mismatch (the deprecated bls-unchained-on-g1 scheme)', () => {
  const signature = fromHex(
    '8176555f90d71aa49ceb37739683749491c2bab15a46094b255289ed25cf8f01cdfb1fe8bd9cd5a19eb09448a3e53186',
  );
  it('a G1 signature hashed with the G2 DST is rejected by the G1 ciphersuite, and only verifies under that wrong DST', () => {
    for (const [, backend] of backends) {
      expect(verify(backend, fromHex(FASTNET_PK), roundMessage(3n), signature)).toBe(false);
      const g2Dst = utf8('BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_');
      expect(backend.verifyG1(fromHex(FASTNET_PK), roundMessage(3n), g2Dst, signature)).toBe(true);
      expect(backend.verifyG1(fromHex(FASTNET_PK), roundMessage(3n), BLS_SIG_DST, signature)).toBe(false);
    }
  });
});
