import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type RateLimitOptions, rateLimitPlugin } from './rate-limit.js';

export interface SecurityOptions {
  rateLimit: RateLimitOptions;
}

/** Security headers, then rate limits (see `rateLimitPlugin`). */
export const securityPlugin = fp<SecurityOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(helmet, {
      // The API docs page loads its own scripts and styles; the API itself serves JSON only.
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        },
      },
    });
    await app.register(rateLimitPlugin, options.rateLimit);
  },
  { name: '@steadfast/service-kit/security', fastify: '5.x' },
);
