import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';

describe('error code registry', () => {
  it('docs/errors.md documents exactly the codes in src/errors.ts, with the same meaning', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map<string, string>();
    for (const m of doc.matchAll(/^\| `([A-Z0-9_]+)` \| (.+?) \|$/gm)) rows.set(m[1]!, m[2]!);
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, meaning] of Object.entries(ERROR_CODES)) expect(rows.get(code), code).toBe(meaning);
  });
});
