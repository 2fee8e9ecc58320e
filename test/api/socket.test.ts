import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { MACHINE_LIMITS } from '../../src/core/machine/index.js';
import { createApiServer } from '../../src/api/index.js';
import { client, envelope } from '../machine/helpers.js';
import { FakeNode } from './fake-node.js';

let app: FastifyInstance;
let node: FakeNode;
let port: number;

beforeAll(async () => {
  node = new FakeNode();
  app = await createApiServer(node, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  port = address.port;
});
afterAll(async () => {
  await app.close();
});

/** Writes raw bytes on a fresh TCP connection; resolves with whatever the server answered before closing. */
function raw(chunks: (string | Buffer)[], endAfter = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', reject);
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (endAfter) socket.end();
    });
  });
}

async function stillServes(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.from(envelope(client('after'))),
  });
  expect(res.status).toBe(200);
}

describe('over a real socket, malformed HTTP never takes the replica down', () => {
  it('a garbage request line gets 400 and the replica keeps serving', async () => {
    expect(await raw(['GARBAGE \x00\x01 NOT HTTP\r\n\r\n'])).toMatch(/^HTTP\/1\.1 400/);
    await stillServes();
  });

  it('a body shorter than its Content-Length (client gone) is dropped without submitting', async () => {
    const before = node.submitted.length;
    await raw([
      'POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"envelope":"AAAA',
    ]);
    expect(node.submitted.length).toBe(before);
    await stillServes();
  });

  it('a chunked body that grows past the limit is cut off with 413 LIMIT_EXCEEDED', async () => {
    const chunk = Buffer.alloc(16_384, 0x41);
    const head =
      'POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
    const parts: (string | Buffer)[] = [head];
    for (let sent = 0; sent <= MACHINE_LIMITS.envelopeBytesMax * 2; sent += chunk.length) {
      parts.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    }
    parts.push('0\r\n\r\n');
    const answer = await raw(parts);
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('"code":"LIMIT_EXCEEDED"');
    await stillServes();
  });
});
