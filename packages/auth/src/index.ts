export { type BearerGuardOptions, bearerGuard, MIN_TOKEN_LENGTH } from './bearer-guard.js';
