/**
 * Transport benchmarks (docs/transport.md, docs/performance.md "Runtime transport").
 *
 * Floor: the same TLS 1.3 connection on loopback with the same certificates, carrying the same bytes with
 * no framing, hello, queue or pinning — what Node's TLS stack costs by itself. The ratio is the mesh's
 * own overhead.
 */
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { deterministicRandom } from '../src/crypto/rand.js';
import { generateReplicaIdentity } from '../src/runtime/identity.js';
import { MeshTransport } from '../src/runtime/transport/index.js';
import { measure, printTable } from './harness.js';

const BODY_BYTES = 256;
const BURST = 2_000;

export async function run(): Promise<void> {
  const a = generateReplicaIdentity(deterministicRandom('bench-a'));
  const b = generateReplicaIdentity(deterministicRandom('bench-b'));
  const committee = [
    { index: 1, publicKey: a.publicKey },
    { index: 2, publicKey: b.publicKey },
  ];
  const ports = new Map<number, number>();
  let onReplyA: (() => void) | undefined;
  let receivedB = 0;
  let onBurst: (() => void) | undefined;
  const meshB = new MeshTransport({
    chainId: 'bench',
    self: { index: 2, identity: b },
    committee,
    resolve: (i) => (ports.has(i) ? { host: '127.0.0.1', port: ports.get(i)! } : undefined),
    limits: { sendQueueFramesMax: 100_000, sendQueueBytesMax: 1 << 30 },
    events: {
      message: (from, channel, body) => {
        if (channel === 1) meshB.send(from, 1, body);
        else if (++receivedB === BURST) onBurst?.();
      },
    },
  });
  ports.set(2, await meshB.start());
  const meshA = new MeshTransport({
    chainId: 'bench',
    self: { index: 1, identity: a },
    committee,
    resolve: (i) => (ports.has(i) ? { host: '127.0.0.1', port: ports.get(i)! } : undefined),
    limits: { sendQueueFramesMax: 100_000, sendQueueBytesMax: 1 << 30 },
    events: { message: () => onReplyA?.(), peerUp: () => onUp?.() },
  });
  let onUp: (() => void) | undefined;
  const up = new Promise<void>((resolve) => (onUp = resolve));
  await meshA.start();
  await up;

  const body = new Uint8Array(BODY_BYTES).fill(7);
  const meshRtt = await measure(`mesh round trip ${BODY_BYTES} B`, () => {
    const reply = new Promise<void>((resolve) => (onReplyA = resolve));
    meshA.send(2, 1, body);
    return reply;
  });
  const meshBurst = await measure(`mesh ${BURST} × ${BODY_BYTES} B one way`, () => {
    receivedB = 0;
    const done = new Promise<void>((resolve) => (onBurst = resolve));
    for (let i = 0; i < BURST; i++) meshA.send(2, 2, body);
    return done;
  });
  await meshA.close();
  await meshB.close();

  // Floor: bare TLS 1.3 echo with the same keys.
  const server = tls.createServer(
    {
      key: b.privateKeyPem,
      cert: b.certificatePem,
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => {
      let seen = 0;
      socket.on('data', (chunk: Buffer) => {
        // Echo mode for the first byte pattern 1; count mode otherwise.
        if (chunk[0] === 1) socket.write(chunk);
        else {
          seen += chunk.length;
          if (seen >= BURST * BODY_BYTES) {
            seen = 0;
            socket.write(Uint8Array.of(9));
          }
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = tls.connect({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    key: a.privateKeyPem,
    cert: a.certificatePem,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
  });
  await new Promise<void>((resolve) => client.once('secureConnect', resolve));
  let onData: (() => void) | undefined;
  let got = 0;
  client.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= BODY_BYTES || chunk[0] === 9) {
      got = 0;
      onData?.();
    }
  });
  const echoBody = new Uint8Array(BODY_BYTES).fill(1);
  const tlsRtt = await measure(`raw TLS echo ${BODY_BYTES} B`, () => {
    const reply = new Promise<void>((resolve) => (onData = resolve));
    client.write(echoBody);
    return reply;
  });
  const countBody = new Uint8Array(BODY_BYTES).fill(2);
  const tlsBurst = await measure(`raw TLS ${BURST} × ${BODY_BYTES} B one way`, () => {
    const done = new Promise<void>((resolve) => (onData = resolve));
    for (let i = 0; i < BURST; i++) client.write(countBody);
    return done;
  });
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  printTable('Replica mesh transport (TLS 1.3, loopback)', [
    { name: meshRtt.name, m: meshRtt, floor: tlsRtt, target: 1.5 },
    // No target for bursts: the floor is a raw byte stream with no per-message work at all.
    { name: meshBurst.name, m: meshBurst, floor: tlsBurst },
  ]);
}
