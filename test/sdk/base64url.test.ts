import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64url, toBase64url } from '../../src/sdk/base64url.js';

describe('base64url (RFC 4648 §5, unpadded, strict)', () => {
  it('agrees with Node Buffer on every byte string and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = toBase64url(bytes);
        return (
          s === Buffer.from(bytes).toString('base64url') &&
          Buffer.from(fromBase64url(s)).equals(Buffer.from(bytes))
        );
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('rejects padding, the standard alphabet, impossible lengths and stray trailing bits (one string per value)', () => {
    for (const bad of ['AA==', 'ab+/', 'A', 'AAAAA', 'AB', 'AAB', 'é', ' AA']) {
      expect(() => fromBase64url(bad), bad).toThrow(/INVALID_ENCODING/);
    }
    expect(fromBase64url('')).toEqual(new Uint8Array(0));
    expect(fromBase64url('AA')).toEqual(Uint8Array.from([0]));
  });
});
