/** The HTTP API of a replica (docs/api.md). */
export * from './node.js';
export * from './server.js';
export * from './metrics.js';
export * from './errors.js';
export * from './ed25519.js';
export * from './limits.js';
export { API_ROUTES } from './routes.js';
export type { RouteSpec, OperationId } from './routes.js';
export { buildOpenApi, API_VERSION } from './openapi.js';
