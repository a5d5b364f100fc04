import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ERROR_HANDLER_PLUGIN } from '@steadfast/http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
}

/**
 * OpenAPI 3 generated from the route schemas at /docs/json, browsable at /docs. Every route with a response
 * schema also documents (and serializes) its failures as the error envelope.
 */
export const openApiPlugin = fp<OpenApiOptions>(
  async (app: FastifyInstance, { title, version, description }) => {
    app.addHook('onRoute', (route) => {
      if (route.config?.bearerAuth || route.config?.scope)
        route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (response) {
        response['4xx'] ??= { $ref: 'ErrorEnvelope#' };
        response['5xx'] ??= { $ref: 'ErrorEnvelope#' };
      }
    });
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title, version, ...(description ? { description } : {}) },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}`,
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  },
  // The error handler registers the ErrorEnvelope schema these references name.
  { name: '@steadfast/service-kit/openapi', fastify: '5.x', dependencies: [ERROR_HANDLER_PLUGIN] },
);
