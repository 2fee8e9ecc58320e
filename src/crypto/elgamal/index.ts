/**
 * Threshold ElGamal for Omega: TDH2 labelled ciphertexts over ristretto255 (`tdh2.ts`), DLEQ-verified
 * decryption shares over any prime-order group (`shares.ts`), blinded decryption (`blinding.ts`) and
 * re-encryption to a requester's transport key (`reencrypt.ts`). Design and byte formats:
 * docs/crypto.md, sections "Threshold ElGamal (TDH2-style)", "Blinded decryption" and "Re-encryption to
 * a transport key".
 */
export * from './shares.js';
export * from './tdh2.js';
export * from './blinding.js';
export * from './reencrypt.js';
