/**
 * The OpenAPI 3.1 document, assembled from the route table (routes.ts) — the same schemas fastify
 * validates with, so the document cannot drift from the behaviour. Hand-assembled rather than via
 * @fastify/swagger: the table is small, the output is fully determined by our code (no plugin
 * transformation of schemas), and one dependency less (docs/api.md, "OpenAPI").
 */
import { MACHINE_LIMITS } from '../core/machine/limits.js';
import type { RouteSpec } from './routes.js';
import { errorSchema } from './schemas.js';

export const API_VERSION = '1.0.0';

export function buildOpenApi(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const schema = r.schema === errorSchema ? { $ref: '#/components/schemas/Error' } : r.schema;
      responses[status] = { description: r.description, content: { [r.contentType]: { schema } } };
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      responses,
    };
    if (route.requestBody) {
      operation.requestBody = {
        required: true,
        content: Object.fromEntries(
          Object.entries(route.requestBody).map(([type, { schema }]) => [type, { schema }]),
        ),
      };
    }
    (paths[route.url] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Omega replica API',
      version: API_VERSION,
      description:
        'The HTTP API every Omega replica serves. Requests are signed envelopes (docs/machine.md); results are ' +
        `signed per replica and accepted by clients on f+1 matching signatures. Envelope limit ${MACHINE_LIMITS.envelopeBytesMax} bytes. ` +
        'Every error is {error: {code, message}} with a stable code (docs/errors.md).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths,
    components: { schemas: { Error: errorSchema } },
  };
}
