/** HTTP body limits, derived from the machine limits so every boundary enforces the same sizes. */
import { MACHINE_LIMITS } from '../core/machine/limits.js';
import { base64urlLength } from './schemas.js';

/** JSON body of POST /v1/requests: base64url of the largest envelope plus the JSON wrapper. */
export const API_LIMITS_JSON_BODY_BYTES = base64urlLength(MACHINE_LIMITS.envelopeBytesMax) + 64;
/** Any other route (none takes a body). */
export const API_LIMITS_DEFAULT_BODY_BYTES = 1024;
