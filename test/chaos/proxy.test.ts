/**
 * The fault-injecting link proxy (chaos/proxy.ts) against a plain TCP echo server: `pass` forwards,
 * `delay` holds bytes back by at least the delay and keeps their order, `blackhole` cuts open
 * connections and leaves new ones unanswered, `oneway` drops one direction only, and healing lets a new
 * connection through again.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { LinkProxy } from '../../chaos/proxy.js';

let echo: Server | undefined;
let proxy: LinkProxy | undefined;

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
});

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `text` and resolves with what comes back within `ms` (or what arrived by then). */
function exchange(s: Socket, text: string, ms: number): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    let reply = '';
    let closed = false;
    const onData = (d: Buffer) => {
      reply += d.toString();
      if (reply.length >= text.length) finish();
    };
    const onClose = () => {
      closed = true;
      finish();
    };
    const timer = setTimeout(() => finish(), ms);
    function finish() {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      resolve({ reply, closed });
    }
    s.on('data', onData);
    s.on('close', onClose);
    s.on('error', () => {});
    s.write(text);
  });
}

it('pass, delay, blackhole and heal behave as documented', async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo!.listen(0, '127.0.0.1', () => r()));
  const target = { host: '127.0.0.1', port: (echo.address() as AddressInfo).port };
  proxy = new LinkProxy('1-2', target, () => 0.5);
  const port = await proxy.listen(0);

  const a = await dial(port);
  expect((await exchange(a, 'hello', 2_000)).reply).toBe('hello');

  proxy.setMode({ kind: 'delay', ms: 150, jitterMs: 0 });
  const t0 = performance.now();
  const delayed = await exchange(a, 'abcdef', 3_000);
  // Two hops through the proxy (request and echo), each held ≥ 150 ms; bytes stay in order.
  expect(delayed.reply).toBe('abcdef');
  expect(performance.now() - t0).toBeGreaterThanOrEqual(290);

  proxy.setMode({ kind: 'blackhole' });
  const cut = await exchange(a, 'x', 1_000);
  expect(cut.closed).toBe(true);
  const b = await dial(port);
  const silent = await exchange(b, 'anyone?', 500);
  expect(silent).toEqual({ reply: '', closed: false });
  b.destroy();

  proxy.setMode({ kind: 'pass' });
  const c = await dial(port);
  expect((await exchange(c, 'back', 2_000)).reply).toBe('back');
  c.destroy();
  expect(proxy.forwardedChunks).toBeGreaterThan(0);
});

it('oneway drops exactly one direction (an asymmetric partition)', async () => {
  // The server records what reaches it and answers every chunk with "ack".
  let received = '';
  const server = createServer((s) =>
    s.on('data', (d: Buffer) => {
      received += d.toString();
      s.write('ack');
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const link = new LinkProxy(
    '1-2',
    { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    () => 0,
  );
  try {
    const s = await dial(await link.listen(0));
    expect((await exchange(s, 'one', 2_000)).reply).toBe('ack');

    // Backward lost: the server still hears the dialer, the dialer hears nothing.
    link.setMode({ kind: 'oneway', drop: 'backward' });
    expect(await exchange(s, 'two', 500)).toEqual({ reply: '', closed: false });
    expect(received).toBe('onetwo');

    // Forward lost: nothing reaches the server.
    link.setMode({ kind: 'oneway', drop: 'forward' });
    expect(await exchange(s, 'three', 500)).toEqual({ reply: '', closed: false });
    expect(received).toBe('onetwo');

    link.setMode({ kind: 'pass' });
    expect((await exchange(s, 'four', 2_000)).reply).toBe('ack');
    expect(received).toBe('onetwofour');
    s.destroy();
  } finally {
    await link.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
