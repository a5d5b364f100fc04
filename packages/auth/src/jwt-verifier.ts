import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { DependencyError, InvalidOptionError, integerAtLeast, UnauthenticatedError } from '@steadfast/errors';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type VerifiedTokenCacheOptions, verifiedTokenCache } from './verified-token-cache.js';

/** Clock skew tolerated on `exp` and `nbf`, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** Shortest HS256 secret accepted: RFC 7518 asks for a key at least as long as the hash (32 bytes). */
export const MIN_JWT_SECRET_LENGTH = 32;

// Asymmetric keys only for JWKS and PEM: a public key must never be usable as an HMAC secret (alg confusion).
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Who called: the token's `sub` and the scopes it grants. */
export interface Principal {
  subject: string;
  scopes: ReadonlySet<string>;
}

/** Exactly one key source: a JWKS URL (OIDC providers publish one), an HS256 secret, or a PEM public key. */
export type JwtKeySource = { jwksUrl: string } | { secret: string } | { publicKeyPem: string };

export type JwtVerifierOptions = JwtKeySource & {
  issuer: string;
  audience: string;
  clockToleranceSeconds?: number;
  /** Verified tokens kept by their exact string (see `verifiedTokenCache`); `{ maxEntries: 0 }` verifies every time. */
  cache?: VerifiedTokenCacheOptions;
};

export type JwtVerifier = (token: string) => Promise<Principal>;

function keyOf(source: JwtKeySource): {
  key: KeyObject | JWTVerifyGetKey;
  algorithms: string[];
} {
  if ('jwksUrl' in source) {
    let url: URL;
    try {
      url = new URL(source.jwksUrl);
    } catch {
      throw new InvalidOptionError('jwksUrl', source.jwksUrl, 'an http(s) URL');
    }
    return { key: createRemoteJWKSet(url), algorithms: ASYMMETRIC };
  }
  if ('secret' in source) {
    if (typeof source.secret !== 'string' || source.secret.length < MIN_JWT_SECRET_LENGTH) {
      // The value is secret: the message gives its length only.
      throw new InvalidOptionError(
        'secret',
        `a value of ${String(source.secret ?? '').length} characters`,
        `at least ${MIN_JWT_SECRET_LENGTH} characters`,
      );
    }
    // A KeyObject, not bytes: jose imports a KeyObject into WebCrypto once and keeps it, raw bytes on every call.
    return { key: createSecretKey(source.secret, 'utf8'), algorithms: ['HS256'] };
  }
  try {
    return { key: createPublicKey(source.publicKeyPem), algorithms: ASYMMETRIC };
  } catch {
    throw new InvalidOptionError('publicKeyPem', 'a value that is not a PEM key', 'a PEM public key');
  }
}

/** Scopes from the standard `scope` claim (space-separated) or an `scp` array (or string, as some providers send). */
function scopesOf(payload: JWTPayload): Set<string> {
  const raw = [payload.scope, payload.scp].flatMap((claim) =>
    typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [],
  );
  return new Set(raw.filter((scope): scope is string => typeof scope === 'string' && scope !== ''));
}

// A key set that cannot be fetched is the identity provider's failure, not the caller's: 503, not 401.
const PROVIDER_FAILURES = [errors.JWKSTimeout, errors.JWKSInvalid];

/**
 * Verifies a compact JWS: signature (by the configured key source), `iss`, `aud`, `exp`/`nbf` within the clock
 * tolerance, and a `sub`. A bad or expired token is 401 UNAUTHENTICATED; a JWKS endpoint that cannot be reached or
 * answers garbage is 503, so an outage at the identity provider is not reported as the caller's fault.
 */
export function jwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const { key, algorithms } = keyOf(options);
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw new InvalidOptionError(name, options[name], 'a non-empty string');
    }
  }
  const clockTolerance = integerAtLeast(
    'clockToleranceSeconds',
    options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
    0,
  );
  const verifyOptions = { issuer: options.issuer, audience: options.audience, algorithms, clockTolerance };
  const verified = verifiedTokenCache<Principal>(options.cache);
  return async (token) => {
    const cached = verified.get(token);
    if (cached !== undefined) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions));
    } catch (error) {
      if (error instanceof errors.JOSEError && !PROVIDER_FAILURES.some((type) => error instanceof type)) {
        throw new UnauthenticatedError('The bearer token is not valid');
      }
      throw new DependencyError('The identity provider could not be reached', {
        status: 503,
        code: 'AUTH_PROVIDER_UNAVAILABLE',
        cause: error,
      });
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new UnauthenticatedError('The bearer token has no subject');
    }
    const principal = { subject: payload.sub, scopes: scopesOf(payload) };
    // The window jose just checked against (whole seconds, tolerance included), in ms.
    verified.set(token, principal, {
      fromMs: payload.nbf === undefined ? -Infinity : Math.ceil(payload.nbf - clockTolerance) * 1000,
      untilMs: payload.exp === undefined ? Infinity : Math.ceil(payload.exp + clockTolerance) * 1000,
    });
    return principal;
  };
}
