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
 * Security headers (helmet), then rate limits (see `rateLimitPlugin`). The helmet middleware is built once here:
 * @fastify/helmet builds it again for every request, re-parsing the CSP directives each time.
 */
export const securityPlugin = fp<SecurityOptions>(
  async (app: FastifyInstance, options) => {
    if (options.headers !== false) {
      const setHeaders = helmet(HELMET_OPTIONS);
      app.addHook('onRequest', (request, reply, done) => {
        setHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined));
      });
    }
    if (options.rateLimit !== false) await app.register(rateLimitPlugin, options.rateLimit);
  },
  { name: '@steadfast/service-kit/security', fastify: '5.x' },
);
