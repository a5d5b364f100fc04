import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { RateLimitedError } from '@steadfast/errors';
import type {} from '@steadfast/http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface SecurityOptions {
  rateLimitMax: number;
  rateLimitWindowMs: number;
}

export const securityPlugin = fp<SecurityOptions>(
  async (app: FastifyInstance, { rateLimitMax, rateLimitWindowMs }) => {
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
    // Before the rate limiter's own onRoute hook reads `config.rateLimit`: operational routes are never limited.
    app.addHook('onRoute', (route) => {
      if (route.config?.operational) route.config = { ...route.config, rateLimit: false };
    });
    await app.register(rateLimit, {
      global: true,
      max: rateLimitMax,
      timeWindow: rateLimitWindowMs,
      errorResponseBuilder: (_request, context) =>
        new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  },
  { name: '@steadfast/service-kit/security', fastify: '5.x' },
);
