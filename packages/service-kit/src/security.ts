import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import { type RateLimitOptions, rateLimitPlugin } from './rate-limit.js';

export interface SecurityOptions {
  /** `false` only where a benchmark measures the limiter's cost (`createService`'s `omit`). */
  rateLimit: RateLimitOptions | false;
  /** `false` only where a benchmark measures the headers' cost. */
  headers?: boolean;
}

/** The API docs page loads its own scripts and styles; the API itself serves JSON only. */
const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
    },
  },
};

/**
 * The headers helmet sets with HELMET_OPTIONS, recorded once: they depend on the options only, never on the
 * request, so each response gets the same object instead of running helmet's middleware chain (a dozen
 * `setHeader` calls and a `removeHeader`, which also moves Node off its fast path for writing the head).
 */
export function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

/** Security headers (helmet's, see `helmetHeaders`), then rate limits (see `rateLimitPlugin`). */
export const securityPlugin = fp<SecurityOptions>(
  async (app: FastifyInstance, options) => {
    if (options.headers !== false) {
      const headers = helmetHeaders();
      app.addHook('onRequest', (_request, reply, done) => {
        reply.headers(headers);
        done();
      });
    }
    if (options.rateLimit !== false) await app.register(rateLimitPlugin, options.rateLimit);
  },
  { name: '@steadfast/service-kit/security', fastify: '5.x' },
);
