import { type AppError, NotFoundError } from '@steadfast/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { toAppError } from './classify.js';
import { ErrorEnvelopeSchema } from './envelope.js';
import { REQUEST_CONTEXT_PLUGIN } from './request-context.js';

// What a caller is told about a server-side failure: the code says which kind, never the internals.
const SERVER_MESSAGES: Record<number, string> = {
  500: 'An unexpected error occurred',
  502: 'A dependency failed',
  503: 'The service is temporarily unavailable',
  504: 'The operation timed out',
};

function clientMessage(error: AppError): string {
  if (error.type === 'client') return error.message;
  if (error.code === 'INTERNAL_ERROR') return SERVER_MESSAGES[500] as string;
  return error.message || (SERVER_MESSAGES[error.statusCode] ?? (SERVER_MESSAGES[500] as string));
}

export function errorEnvelope(error: AppError, request: FastifyRequest) {
  return {
    error: {
      code: error.code,
      type: error.type,
      message: clientMessage(error),
      details: error.type === 'client' ? (error.details ?? null) : null,
      requestId: request.id,
      traceId: request.trace?.traceId ?? null,
      timestamp: new Date().toISOString(),
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    },
  };
}

function render(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  const error = toAppError(thrown);
  if (error.type === 'server') {
    request.log.error({ err: thrown, code: error.code, statusCode: error.statusCode }, 'request failed');
  } else {
    request.log.info(
      { code: error.code, statusCode: error.statusCode },
      `request rejected: ${error.message}`,
    );
  }
  if (error.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfter)));
  return reply.status(error.statusCode).send(errorEnvelope(error, request));
}

export const ERROR_HANDLER_PLUGIN = '@steadfast/http/errors';

/** One handler renders every failure, including unknown routes, as the error envelope. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    // Routes document their failures as `{ $ref: 'ErrorEnvelope#' }`, the one body this handler sends.
    app.addSchema(ErrorEnvelopeSchema);
    app.setErrorHandler((error, request, reply) => render(error, request, reply));
    app.setNotFoundHandler((request, reply) =>
      render(
        new NotFoundError(`Route ${request.method} ${request.url.split('?')[0]} does not exist`),
        request,
        reply,
      ),
    );
  },
  { name: ERROR_HANDLER_PLUGIN, fastify: '5.x', dependencies: [REQUEST_CONTEXT_PLUGIN] },
);
