import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';

export const MetaSchema = Type.Object({
  requestId: Type.String(),
  durationMs: Type.Number(),
  count: Type.Optional(Type.Integer()),
  nextCursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

export const ErrorEnvelopeSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, such as VALIDATION_FAILED' }),
      type: Type.Union([Type.Literal('client'), Type.Literal('server')]),
      message: Type.String(),
      details: Type.Unknown({ description: 'For validation failures, one { field, message } per bad field' }),
      requestId: Type.String(),
      traceId: Type.String(),
      timestamp: Type.String({ format: 'date-time' }),
      retryAfter: Type.Optional(Type.Number({ description: 'Seconds to wait before retrying' })),
    }),
  },
  { $id: 'ErrorEnvelope', title: 'ErrorEnvelope' },
);

/** `{ data, meta }` around one resource. */
export const DataEnvelope = <T extends TSchema>(data: T) => Type.Object({ data, meta: MetaSchema });

/** `{ data: [...], meta: { count, nextCursor } }` around a page of resources. */
export const ListEnvelope = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), meta: MetaSchema });

export interface PageMeta {
  count?: number;
  nextCursor?: string | null;
}

/** Wraps a result in the success envelope, stamped with the request id and the time spent so far. */
export function envelope<T>(reply: FastifyReply, data: T, meta: PageMeta = {}) {
  return {
    data,
    meta: { requestId: reply.request.id, durationMs: Math.round(reply.elapsedTime * 100) / 100, ...meta },
  };
}
