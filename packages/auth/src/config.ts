import { type Static, type TObject, Type } from '@sinclair/typebox';
import { configFragment } from '@steadfast/http';
import { DEFAULT_FAILURE_WINDOW_MS, DEFAULT_MAX_FAILURES } from './failure-throttle.js';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, type JwtKeySource, MIN_JWT_SECRET_LENGTH } from './jwt-verifier.js';
import { AUTH_MODES, type AuthMode, type AuthPluginOptions } from './plugin.js';

type Environment = 'development' | 'production' | 'test';

/** The auth variables. AUTH_MODE is `jwt` in production and `off` elsewhere unless set. */
export const authConfig = configFragment(
  {
    AUTH_MODE: Type.Optional(
      Type.Union(
        AUTH_MODES.map((mode) => Type.Literal(mode)),
        { description: 'jwt or off; jwt in production (required there), off otherwise' },
      ),
    ),
    AUTH_JWKS_URL: Type.Optional(
      Type.String({ format: 'uri', description: 'JWKS URL of the identity provider (as OIDC publishes)' }),
    ),
    AUTH_JWT_SECRET: Type.Optional(
      Type.String({ description: `HS256 shared secret, at least ${MIN_JWT_SECRET_LENGTH} characters` }),
    ),
    AUTH_JWT_PUBLIC_KEY: Type.Optional(Type.String({ description: 'PEM public key (RSA, EC or Ed25519)' })),
    AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'Expected `iss` of tokens' })),
    AUTH_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'Expected `aud` of tokens' })),
    AUTH_CLOCK_TOLERANCE_S: Type.Integer({
      minimum: 0,
      maximum: 300,
      default: DEFAULT_CLOCK_TOLERANCE_SECONDS,
      description: 'Clock skew tolerated on exp and nbf',
    }),
    AUTH_MAX_FAILURES: Type.Integer({
      minimum: 1,
      default: DEFAULT_MAX_FAILURES,
      description: 'Invalid tokens one client address may send per AUTH_FAILURE_WINDOW_MS before 429',
    }),
    AUTH_FAILURE_WINDOW_MS: Type.Integer({
      minimum: 1,
      default: DEFAULT_FAILURE_WINDOW_MS,
      description: 'The window of AUTH_MAX_FAILURES',
    }),
  },
  [
    (config) => {
      const environment = (config as { NODE_ENV?: Environment }).NODE_ENV;
      if (modeOf(config.AUTH_MODE, environment) === 'off') {
        return environment === 'production'
          ? 'AUTH_MODE: off is not allowed when NODE_ENV=production'
          : undefined;
      }
      const sources = [config.AUTH_JWKS_URL, config.AUTH_JWT_SECRET, config.AUTH_JWT_PUBLIC_KEY].filter(
        (source) => source !== undefined,
      );
      if (sources.length !== 1) {
        return `AUTH_MODE=jwt needs exactly one key source: AUTH_JWKS_URL, AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY (${sources.length} set)`;
      }
      if (config.AUTH_JWT_SECRET !== undefined && config.AUTH_JWT_SECRET.length < MIN_JWT_SECRET_LENGTH) {
        return `AUTH_JWT_SECRET: must be at least ${MIN_JWT_SECRET_LENGTH} characters (got a value of ${config.AUTH_JWT_SECRET.length} characters)`;
      }
      if (!config.AUTH_ISSUER || !config.AUTH_AUDIENCE) {
        return 'AUTH_MODE=jwt needs AUTH_ISSUER and AUTH_AUDIENCE';
      }
      return undefined;
    },
  ],
);

export type AuthConfig = Static<TObject<typeof authConfig.properties>> & { NODE_ENV: Environment };

function modeOf(mode: AuthMode | undefined, environment: Environment | undefined): AuthMode {
  return mode ?? (environment === 'production' ? 'jwt' : 'off');
}

/** The plugin options these variables set; the config checks have already refused an incomplete `jwt` setup. */
export function authOptionsFrom(config: AuthConfig, realm: string): AuthPluginOptions {
  if (modeOf(config.AUTH_MODE, config.NODE_ENV) === 'off') return { mode: 'off' };
  const source: JwtKeySource = config.AUTH_JWKS_URL
    ? { jwksUrl: config.AUTH_JWKS_URL }
    : config.AUTH_JWT_SECRET
      ? { secret: config.AUTH_JWT_SECRET }
      : { publicKeyPem: config.AUTH_JWT_PUBLIC_KEY ?? '' };
  return {
    mode: 'jwt',
    realm,
    verifier: {
      ...source,
      issuer: config.AUTH_ISSUER ?? '',
      audience: config.AUTH_AUDIENCE ?? '',
      clockToleranceSeconds: config.AUTH_CLOCK_TOLERANCE_S,
    },
    throttle: { maxFailures: config.AUTH_MAX_FAILURES, windowMs: config.AUTH_FAILURE_WINDOW_MS },
  };
}
