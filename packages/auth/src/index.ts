export { type BearerGuardOptions, bearerGuard, MIN_TOKEN_LENGTH } from './bearer-guard.js';
export { type AuthConfig, authConfig, authOptionsFrom } from './config.js';
export {
  DEFAULT_FAILURE_WINDOW_MS,
  DEFAULT_MAX_FAILURES,
  DEFAULT_MAX_TRACKED_CLIENTS,
  type FailureThrottle,
  type FailureThrottleOptions,
  failureThrottle,
} from './failure-throttle.js';
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  type JwtKeySource,
  type JwtVerifier,
  type JwtVerifierOptions,
  jwtVerifier,
  MIN_JWT_SECRET_LENGTH,
  type Principal,
} from './jwt-verifier.js';
export {
  AUTH_MODES,
  AUTH_PLUGIN,
  type AuthMode,
  type AuthPluginOptions,
  authPlugin,
  callerOf,
} from './plugin.js';
export {
  DEFAULT_VERIFIED_TOKEN_CACHE_MS,
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  type ValidityWindow,
  type VerifiedTokenCache,
  type VerifiedTokenCacheOptions,
  verifiedTokenCache,
} from './verified-token-cache.js';
