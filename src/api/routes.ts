/**
 * The route table: each route once, with its schemas and its OpenAPI description. server.ts registers
 * exactly these routes and openapi.ts documents exactly these routes (a test checks both directions).
 */
import type { FastifySchema } from 'fastify';
import { API_LIMITS_JSON_BODY_BYTES } from './limits.js';
import {
  errorSchema,
  healthSchema,
  infoSchema,
  replySchema,
  statusSchema,
  serviceKeysSchema,
  submitBodySchema,
} from './schemas.js';

export type OperationId =
  'submitRequest' | 'getInfo' | 'getStatus' | 'getServiceKeys' | 'healthz' | 'readyz' | 'metrics' | 'openapi';

export interface ResponseSpec {
  readonly description: string;
  readonly contentType: 'application/json' | 'text/plain';
  readonly schema: object;
}

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly operationId: OperationId;
  readonly summary: string;
  readonly bodyLimitBytes?: number;
  /** Request bodies by content type (validated by fastify where a schema is given). */
  readonly requestBody?: Readonly<Record<string, { readonly schema: object }>>;
  readonly responses: Readonly<Record<string, ResponseSpec>>;
  readonly fastifySchema: FastifySchema;
}

const error = (description: string): ResponseSpec => ({
  description,
  contentType: 'application/json',
  schema: errorSchema,
});
const json = (description: string, schema: object): ResponseSpec => ({
  description,
  contentType: 'application/json',
  schema,
});

const COMMON_ERRORS = {
  '404': error('NOT_FOUND: no such route.'),
  '500': error('INTERNAL: unexpected error.'),
} as const;

const rawEnvelopeSchema = {
  type: 'string',
  format: 'binary',
  description: 'The envelope bytes themselves (docs/machine.md).',
} as const;

export const API_ROUTES: readonly RouteSpec[] = [
  {
    method: 'POST',
    url: '/v1/requests',
    operationId: 'submitRequest',
    summary:
      "Submit a signed request envelope; answers when it has been decided and applied, with this replica's signed result.",
    bodyLimitBytes: API_LIMITS_JSON_BODY_BYTES,
    requestBody: {
      'application/json': { schema: submitBodySchema },
      'application/octet-stream': { schema: rawEnvelopeSchema },
    },
    responses: {
      '200': json('The result, signed by this replica.', replySchema),
      '400': error(
        'INVALID_REQUEST, INVALID_ENCODING, UNSUPPORTED_VERSION, WRONG_CHAIN, INVALID_PRINCIPAL, INVALID_WINDOW, UNKNOWN_OPERATION, BAD_SIGNATURE: rejected before ordering; nothing happened.',
      ),
      '413': error('LIMIT_EXCEEDED: body or envelope too large; nothing happened.'),
      '415': error('UNSUPPORTED_MEDIA_TYPE: use application/json or application/octet-stream.'),
      '503': error('NOT_READY or OVERLOADED: not admitted; nothing happened; try another replica.'),
      '504': error('DECISION_TIMEOUT: admitted but not decided in time; the request may still take effect.'),
      ...COMMON_ERRORS,
    },
    fastifySchema: {
      body: { content: { 'application/json': { schema: submitBodySchema } } },
      response: { 200: replySchema, '4xx': errorSchema, '5xx': errorSchema },
    },
  },
  {
    method: 'GET',
    url: '/v1/info',
    operationId: 'getInfo',
    summary: "Cluster facts: chain id, this replica's index, n, f and every replica's identity key.",
    responses: { '200': json('Cluster information.', infoSchema), ...COMMON_ERRORS },
    fastifySchema: { response: { 200: infoSchema, '4xx': errorSchema, '5xx': errorSchema } },
  },
  {
    method: 'GET',
    url: '/v1/status',
    operationId: 'getStatus',
    summary: 'Live consensus state: height, round, peers, last decision, lag and queue depths.',
    responses: { '200': json('Replica status.', statusSchema), ...COMMON_ERRORS },
    fastifySchema: { response: { 200: statusSchema, '4xx': errorSchema, '5xx': errorSchema } },
  },
  {
    method: 'GET',
    url: '/v1/service-keys',
    operationId: 'getServiceKeys',
    summary:
      "The bootstrap DKG's phase and, once done, the service public keys with fingerprints (one replica's view).",
    responses: { '200': json('DKG progress and service keys.', serviceKeysSchema), ...COMMON_ERRORS },
    fastifySchema: { response: { 200: serviceKeysSchema, '4xx': errorSchema, '5xx': errorSchema } },
  },
  {
    method: 'GET',
    url: '/healthz',
    operationId: 'healthz',
    summary: 'Liveness: the process serves HTTP.',
    responses: { '200': json('Alive.', healthSchema), ...COMMON_ERRORS },
    fastifySchema: { response: { 200: healthSchema, '4xx': errorSchema, '5xx': errorSchema } },
  },
  {
    method: 'GET',
    url: '/readyz',
    operationId: 'readyz',
    summary: 'Readiness: caught up and connected to a quorum; 503 NOT_READY otherwise.',
    responses: {
      '200': json('Ready.', healthSchema),
      '503': error('NOT_READY.'),
      ...COMMON_ERRORS,
    },
    fastifySchema: { response: { 200: healthSchema, '4xx': errorSchema, '5xx': errorSchema } },
  },
  {
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4).',
    responses: {
      '200': { description: 'Metrics.', contentType: 'text/plain', schema: { type: 'string' } },
      ...COMMON_ERRORS,
    },
    fastifySchema: { response: { '4xx': errorSchema, '5xx': errorSchema } },
  },
  {
    method: 'GET',
    url: '/openapi.json',
    operationId: 'openapi',
    summary: "This API's OpenAPI 3.1 document.",
    responses: {
      '200': json('The OpenAPI document.', { type: 'object' }),
      ...COMMON_ERRORS,
    },
    fastifySchema: { response: { '4xx': errorSchema, '5xx': errorSchema } },
  },
];
