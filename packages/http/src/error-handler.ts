import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { AppError, NotFoundError } from '@steadfast/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { toAppError } from './classify.js';
import { ErrorEnvelopeSchema } from './envelope.js';
import { REQUEST_CONTEXT_PLUGIN, traceContextFrom, traceOf } from './request-context.js';

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

export function errorEnvelope(error: AppError, request: Pick<FastifyRequest, 'id' | 'trace'>) {
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

/**
 * Fastify's `frameworkErrors` option: a URL it cannot decode (`%ff`) or a path parameter over `maxParamLength`
 * is rejected before routing, so the plugin's handler never sees it; this renders it the same way.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (
  error,
  request,
  reply,
) => {
  // No onRequest hook ran: the trace context is bound here so the body and the log carry it.
  request.trace = traceOf(request.raw);
  return render(error, request, reply);
};

// What Node reports when it gives up on a request before Fastify sees it, by its error code.
const CLIENT_ERRORS: Record<string, [status: number, code: string, message: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'],
};
const MALFORMED_REQUEST: [number, string, string] = [
  400,
  'MALFORMED_REQUEST',
  'The request is not valid HTTP',
];
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** The part of Node's socket that says whether a response has begun (nothing can be written then). */
interface ServerSocket extends Socket {
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * Fastify's `clientErrorHandler` option, for what Node rejects before there is a request (malformed HTTP, a
 * request or its headers not received in time, headers over the size limit): the error envelope with a fresh
 * request id, then the socket is closed. Nothing of the request is echoed or logged above debug.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: ServerSocket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED_REQUEST;
  const id = randomUUID();
  this.log.debug({ requestId: id, code: error.code, statusCode: status }, `client error: ${message}`);
  if (!socket.writable || socket._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(
    errorEnvelope(new AppError(code, status, message), { id, trace: traceContextFrom(undefined) }),
  );
  // Destroyed only once the answer is flushed: destroying at once can drop it.
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

export const ERROR_HANDLER_PLUGIN = '@steadfast/http/errors';

/** One handler renders every failure, including unknown routes, as the error envelope. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    // Routes document their failures as `{ $ref: 'ErrorEnvelope#' }`, the one body this handler sends.
    app.addSchema(ErrorEnvelopeSchema);
    app.setErrorHandler((error, request, reply) => render(error, request, reply));
    app.setNotFoundHandler((request, reply) =>
      // The path is not echoed: it is the client's text, and pages and logs that show it can be made to lie.
      render(new NotFoundError('No route matches this method and path'), request, reply),
    );
  },
  { name: ERROR_HANDLER_PLUGIN, fastify: '5.x', dependencies: [REQUEST_CONTEXT_PLUGIN] },
);
