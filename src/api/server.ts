/**
 * The HTTP API every replica serves (docs/api.md).
 *
 * Framework: fastify. It validates every input against JSON schemas with ajv before a handler runs,
 * enforces body limits while reading (413 before buffering an oversized body), rejects JSON
 * prototype-poisoning keys, logs structured JSON through pino, and is tested by `inject` without a
 * socket. The same schemas produce the OpenAPI document (openapi.ts), so validation and documentation
 * cannot disagree. Decision recorded in docs/api.md ("Why fastify").
 *
 * Every rejection is `{ error: { code, message } }` with a stable code from src/errors.ts and the HTTP
 * status of `HTTP_STATUS`. The API checks envelopes statelessly (`checkEnvelope`) before anything
 * reaches the replica, so malformed or badly signed requests never enter the mempool.
 */
import cors from '@fastify/cors';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkEnvelope } from '../core/machine/envelope.js';
import type { Ed25519Verify } from '../core/machine/envelope.js';
import { MACHINE_LIMITS } from '../core/machine/limits.js';
import type { ErrorCode } from '../errors.js';
import { OmegaError, isOmegaError } from '../errors.js';
import { nodeEd25519Verify } from './ed25519.js';
import { httpStatusFor } from './errors.js';
import type { ErrorBody } from './errors.js';
import { API_LIMITS_DEFAULT_BODY_BYTES } from './limits.js';
import { ReplicaMetrics } from './metrics.js';
import type { ReplicaNode } from './node.js';
import { buildOpenApi } from './openapi.js';
import { API_ROUTES } from './routes.js';
import { AUDIT_PAGE_MAX } from './schemas.js';
import type { RouteSpec } from './routes.js';

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  /** Ed25519 verifier for envelopes; default native `node:crypto`. */
  readonly verify?: Ed25519Verify;
  /** Metrics registry shared with the replica (which calls `observeDecision`); default a new one. */
  readonly metrics?: ReplicaMetrics;
  /**
   * Allowed browser origins: `'*'` (default), a list of exact origins, or `false` for no CORS headers.
   * `'*'` is safe here because the API has no ambient credentials: no cookies, every request is signed.
   */
  readonly corsOrigins?: '*' | readonly string[] | false;
  /** `false` for silence, or pino level and destination (default: level "info" to stdout). */
  readonly logger?: false | { readonly level?: string; readonly stream?: { write(line: string): void } };
}

/**
 * ajv options: reject unknown fields instead of silently removing them (fastify's default is
 * `removeAdditional: true`), never coerce types, never insert defaults.
 */
const AJV_OPTIONS = {
  removeAdditional: false,
  coerceTypes: false,
  useDefaults: false,
  allErrors: false,
} as const;

/**
 * Builds (does not start) the API server for one replica. Call `.listen({ host, port })` to serve and
 * `.close()` to stop; `.inject()` serves a request in-process.
 *
 * @example
 * const app = await createApiServer(replica, { corsOrigins: ['https://console.example'] });
 * await app.listen({ host: '0.0.0.0', port: 8080 });
 */
export async function createApiServer(
  node: ReplicaNode,
  options: ApiServerOptions = {},
): Promise<FastifyInstance> {
  const verify = options.verify ?? nodeEd25519Verify;
  const metrics = options.metrics ?? new ReplicaMetrics();
  metrics.attach(node);
  const logger =
    options.logger === false
      ? false
      : {
          level: options.logger?.level ?? 'info',
          ...(options.logger?.stream ? { stream: options.logger.stream } : {}),
        };

  const app = Fastify({
    logger,
    bodyLimit: API_LIMITS_DEFAULT_BODY_BYTES,
    ajv: { customOptions: AJV_OPTIONS },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Errors fastify raises before routing (a path that is not valid percent-encoding, FST_ERR_BAD_URL;
    // an unsupported Content-Type charset) would otherwise get fastify's own body, without a stable code.
    // Found by the HTTP fuzzer (test/chaos/fuzz-http.test.ts).
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const code = classify(error);
      metrics.observeRejection(code);
      void reply
        .code(httpStatusFor(code))
        .send(errorBody(code, code === 'INTERNAL' ? 'internal error' : messageOf(error)));
    },
  });

  if (options.corsOrigins !== false) {
    const origins = options.corsOrigins ?? '*';
    await app.register(cors, {
      origin: origins === '*' ? '*' : [...origins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type'],
      credentials: false,
      maxAge: 600,
    });
  }

  // No plain-text bodies anywhere: such a request gets 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser('text/plain');
  // Raw envelopes: the body is the envelope bytes (docs/api.md, POST /v1/requests).
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const code = classify(error);
    const status = httpStatusFor(code);
    if (status >= 500 && code === 'INTERNAL') {
      request.log.error({ err: error }, 'internal error');
    } else {
      request.log.info({ code }, 'request rejected');
    }
    metrics.observeRejection(code);
    const message = code === 'INTERNAL' ? 'internal error' : messageOf(error);
    void reply.code(status).send(errorBody(code, message));
  });

  app.setNotFoundHandler((request, reply) => {
    metrics.observeRejection('NOT_FOUND');
    void reply
      .code(404)
      .send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeHttp(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  let streams = 0;
  const handlers: Record<
    RouteSpec['operationId'],
    (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  > = {
    submitRequest: async (req) => {
      if (!node.isReady()) throw new OmegaError('NOT_READY', 'replica is not ready');
      const bytes = envelopeBytesOf(req);
      checkEnvelope(bytes, { chainId: node.info().chainId, verify });
      const signed = await node.submit(bytes);
      return {
        result: toBase64url(signed.resultBytes),
        replicaIndex: signed.replicaIndex,
        signature: toBase64url(signed.signature),
        ...(signed.certificate === undefined ? {} : { certificate: toBase64url(signed.certificate) }),
      };
    },
    getInfo: () => {
      const info = node.info();
      return Promise.resolve({
        chainId: info.chainId,
        replicaIndex: info.replicaIndex,
        n: info.n,
        f: info.f,
        replicas: info.replicas.map((r) => ({ index: r.index, publicKey: toBase64url(r.publicKey) })),
      });
    },
    getStatus: () => Promise.resolve(node.status()),
    getServiceKeys: () => {
      const k = node.serviceKeys();
      const key = (x: { publicKey: Uint8Array; fingerprint: string }) => ({
        publicKey: toBase64url(x.publicKey),
        fingerprint: x.fingerprint,
      });
      return Promise.resolve({
        ...k,
        keys:
          k.keys === null
            ? null
            : {
                qual: k.keys.qual,
                signing: key(k.keys.signing),
                ibe: key(k.keys.ibe),
                certificate: key(k.keys.certificate),
              },
      });
    },
    getRegistryPki: () => {
      const pki = node.registryPki?.() ?? { caCertificate: null, crl: null };
      return Promise.resolve({
        caCertificate: pki.caCertificate === null ? null : toBase64url(pki.caCertificate),
        crl: pki.crl === null ? null : toBase64url(pki.crl),
      });
    },
    getRegistryAudit: (req) => {
      const from = Number((req.params as { from: string }).from);
      const entries = node.registryAudit?.(from, AUDIT_PAGE_MAX) ?? [];
      return Promise.resolve({ entries: entries.map(toBase64url) });
    },
    getRegistryEvents: (req, reply) => {
      if (node.registryAudit === undefined || node.onCommitted === undefined)
        throw new OmegaError('NOT_FOUND', 'this node has no registry');
      if (streams >= EVENT_STREAMS_MAX) throw new OmegaError('OVERLOADED', 'too many open event streams');
      const lastHeader = req.headers['last-event-id'];
      const last =
        typeof lastHeader === 'string' && /^[0-9]{1,12}$/.test(lastHeader) ? Number(lastHeader) : 0;
      streams += 1;
      void reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      let next = last + 1;
      const flush = () => {
        for (;;) {
          const page = node.registryAudit?.(next, AUDIT_PAGE_MAX) ?? [];
          if (page.length === 0) return;
          for (const entry of page) raw.write(`id: ${next++}\nevent: audit\ndata: ${toBase64url(entry)}\n\n`);
        }
      };
      flush();
      const unsubscribe = node.onCommitted(flush);
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), EVENT_HEARTBEAT_MS);
      raw.on('close', () => {
        streams -= 1;
        unsubscribe();
        clearInterval(heartbeat);
      });
      return Promise.resolve(undefined);
    },
    healthz: () => Promise.resolve({ status: 'ok' }),
    readyz: () => {
      if (!node.isReady()) throw new OmegaError('NOT_READY', 'replica is not ready');
      return Promise.resolve({ status: 'ready' });
    },
    metrics: async (_req, reply) => {
      const { contentType, body } = await metrics.expose();
      void reply.type(contentType);
      return body;
    },
    openapi: () => Promise.resolve(openapi),
  };

  const openapi = buildOpenApi(API_ROUTES);
  for (const route of API_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      ...(route.bodyLimitBytes === undefined ? {} : { bodyLimit: route.bodyLimitBytes }),
      // No route takes query parameters: any is an unknown field (INVALID_REQUEST).
      schema: { querystring: NO_QUERY, ...route.fastifySchema },
      handler: handlers[route.operationId],
    });
  }
  return app;
}

function envelopeBytesOf(req: FastifyRequest): Uint8Array {
  if (Buffer.isBuffer(req.body)) {
    if (req.body.length > MACHINE_LIMITS.envelopeBytesMax) {
      throw new OmegaError('LIMIT_EXCEEDED', `envelope exceeds ${MACHINE_LIMITS.envelopeBytesMax} bytes`);
    }
    return new Uint8Array(req.body);
  }
  // The schema has validated JSON bodies; this guard keeps a future content type from slipping through.
  const envelope = (req.body as { envelope?: unknown } | null)?.envelope;
  if (typeof envelope !== 'string')
    throw new OmegaError('INVALID_REQUEST', 'body must be {"envelope": "<base64url>"}');
  return fromBase64url(envelope);
}

/** Strict base64url: the schema already restricted the alphabet; reject non-canonical trailing bits. */
export function fromBase64url(s: string): Uint8Array {
  const bytes = Buffer.from(s, 'base64url');
  if (s.length % 4 === 1 || bytes.toString('base64url') !== s) {
    throw new OmegaError('INVALID_ENCODING', 'not canonical unpadded base64url');
  }
  return new Uint8Array(bytes);
}

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

function messageOf(error: Error): string {
  // OmegaError messages start with "CODE: "; the code is already a field.
  return error.message.replace(/^[A-Z_]+: /, '').slice(0, 300);
}

/** Most event streams one replica serves at once; a comment line keeps idle proxies from closing them. */
const EVENT_STREAMS_MAX = 64;
const EVENT_HEARTBEAT_MS = 15_000;

const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;

const SIZE_KEYWORDS = new Set(['maxLength', 'maxItems', 'maxProperties']);

/** Maps any error thrown while serving a request to a stable code. */
function classify(error: FastifyError): ErrorCode {
  if (isOmegaError(error)) return error.code;
  if (error.validation) {
    return error.validation.some((v) => SIZE_KEYWORDS.has(v.keyword)) ? 'LIMIT_EXCEEDED' : 'INVALID_REQUEST';
  }
  switch (error.statusCode) {
    case 413:
      return 'LIMIT_EXCEEDED';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 404:
      return 'NOT_FOUND';
    case undefined:
      return 'INTERNAL';
    default:
      return error.statusCode >= 400 && error.statusCode < 500 ? 'INVALID_REQUEST' : 'INTERNAL';
  }
}
