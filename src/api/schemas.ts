/**
 * The JSON schemas of every route: one source for validation (fastify/ajv), response serialization
 * and the OpenAPI document (docs/api.md). Strict: `additionalProperties: false` everywhere, no type
 * coercion, no defaults (see `AJV_OPTIONS` in server.ts).
 */
import { MACHINE_LIMITS } from '../core/machine/limits.js';
import { CERTIFICATE_BYTES_MAX } from '../core/replies/certificate.js';

/** Unpadded base64url (RFC 4648 §5), the encoding of every byte string in the JSON API. */
export const BASE64URL_PATTERN = '^[A-Za-z0-9_-]*$';

/** Characters of the base64url encoding of `n` bytes, without padding. */
export function base64urlLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}

const bytesSchema = (description: string, maxBytes: number) =>
  ({
    type: 'string',
    pattern: BASE64URL_PATTERN,
    maxLength: base64urlLength(maxBytes),
    description: `${description} (unpadded base64url, at most ${maxBytes} bytes)`,
  }) as const;

export const errorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code (docs/errors.md).' },
        message: { type: 'string', description: 'Human-readable detail; not stable.' },
      },
    },
  },
} as const;

export const submitBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['envelope'],
  properties: {
    envelope: bytesSchema('Signed request envelope (docs/machine.md)', MACHINE_LIMITS.envelopeBytesMax),
  },
} as const;

export const replySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['result', 'replicaIndex', 'signature'],
  properties: {
    result: bytesSchema('Result bytes (docs/machine.md, "Results")', MACHINE_LIMITS.outputBytesMax + 256),
    replicaIndex: { type: 'integer', minimum: 1 },
    signature: bytesSchema('Ed25519 signature of the replica over the reply sign-bytes', 64),
    certificate: bytesSchema(
      'Optional: the service threshold signature of the result block with the inclusion proof of this result (docs/replies.md, "Certificate")',
      CERTIFICATE_BYTES_MAX,
    ),
  },
} as const;

export const infoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['chainId', 'replicaIndex', 'n', 'f', 'replicas'],
  properties: {
    chainId: { type: 'string' },
    replicaIndex: { type: 'integer', minimum: 1 },
    n: { type: 'integer', minimum: 1 },
    f: { type: 'integer', minimum: 0 },
    replicas: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['index', 'publicKey'],
        properties: {
          index: { type: 'integer', minimum: 1 },
          publicKey: bytesSchema('Ed25519 identity public key', 32),
        },
      },
    },
  },
} as const;

export const statusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['height', 'round', 'peers', 'lastDecisionTimeMs', 'lagHeights', 'queues'],
  properties: {
    height: { type: 'integer', minimum: 0 },
    round: { type: 'integer', minimum: 0 },
    peers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['index', 'connected'],
        properties: { index: { type: 'integer', minimum: 1 }, connected: { type: 'boolean' } },
      },
    },
    lastDecisionTimeMs: { type: ['integer', 'null'] },
    lagHeights: { type: 'integer', minimum: 0 },
    queues: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
  },
} as const;

const servicePublicKeySchema = (description: string, bytes: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['publicKey', 'fingerprint'],
    properties: {
      publicKey: bytesSchema(description, bytes),
      fingerprint: { type: 'string', description: 'First 16 bytes of a tagged SHA-256, hex in groups of 4.' },
    },
  }) as const;

export const serviceKeysSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'phase',
    'attempt',
    'sessionId',
    'epoch',
    'threshold',
    'epochKeys',
    'candidates',
    'disqualified',
    'flagged',
    'holdsShares',
    'frost',
    'keys',
  ],
  properties: {
    phase: { type: 'string', enum: ['waiting-for-members', 'dealing', 'complaints', 'done', 'aborted'] },
    attempt: { type: 'integer', minimum: 0 },
    sessionId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    epoch: { type: 'integer', minimum: 0 },
    threshold: { type: 'integer', minimum: 0 },
    epochKeys: { type: 'integer', minimum: 0 },
    candidates: { type: 'array', items: { type: 'integer', minimum: 1 } },
    disqualified: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['dealer', 'reason'],
        properties: { dealer: { type: 'integer', minimum: 1 }, reason: { type: 'string' } },
      },
    },
    flagged: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['member', 'reason'],
        properties: { member: { type: 'integer', minimum: 1 }, reason: { type: 'string' } },
      },
    },
    holdsShares: { type: 'boolean' },
    frost: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['queued', 'openJobs'],
          properties: {
            queued: { type: 'array', items: { type: 'integer', minimum: 0 } },
            openJobs: { type: 'integer', minimum: 0 },
          },
        },
      ],
    },
    keys: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['qual', 'signing', 'ibe', 'certificate'],
          properties: {
            qual: { type: 'array', items: { type: 'integer', minimum: 1 } },
            signing: servicePublicKeySchema('Service signing key (BLS12-381 G2, reply signatures)', 96),
            ibe: servicePublicKeySchema('IBE master public key (BLS12-381 G2)', 96),
            certificate: servicePublicKeySchema('Certificate key (Ed25519, FROST)', 32),
          },
        },
      ],
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'ready'] } },
} as const;
