import { Type } from '@sinclair/typebox';
import { DataEnvelope, envelope, ListEnvelope, PageQuery, UuidParams } from '@steadfast/http';
import type { ServiceApp } from '@steadfast/service-kit';
import { NonBlankText, Text } from '../../http/text.js';
import type { ServiceCatalog } from '../../services/service.service.js';

export const ServiceSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    owner: Type.Union([Type.String(), Type.Null()]),
    tier: Type.Union([Type.Integer({ minimum: 1, maximum: 4 }), Type.Null()], {
      description: '1 (most critical) to 4; null when not yet tiered',
    }),
    description: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Service', title: 'Service' },
);

const Name = NonBlankText({ maxLength: 100, description: 'Unique, 1–100 characters' });
const Owner = Type.Union([Text({ minLength: 1, maxLength: 200 }), Type.Null()], {
  description: 'Team or person responsible',
});
const Tier = Type.Union([Type.Integer({ minimum: 1, maximum: 4 }), Type.Null()], {
  description: '1 (most critical) to 4',
});
const Description = Type.Union([Text({ maxLength: 2000 }), Type.Null()]);

export const CreateServiceSchema = Type.Object(
  {
    name: Name,
    owner: Type.Optional(Owner),
    tier: Type.Optional(Tier),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
export const UpdateServiceSchema = Type.Object(
  {
    name: Type.Optional(Name),
    owner: Type.Optional(Owner),
    tier: Type.Optional(Tier),
    description: Type.Optional(Description),
  },
  { additionalProperties: false, minProperties: 1 },
);

const ServiceEnvelope = DataEnvelope(Type.Ref(ServiceSchema));
const tags = ['services'];

export interface ServicesRoutesOptions {
  services: ServiceCatalog;
}

export async function servicesRoutes(app: ServiceApp, { services }: ServicesRoutesOptions) {
  app.addSchema(ServiceSchema);

  app.post(
    '/',
    {
      config: { scope: 'services:write' },
      schema: {
        tags,
        summary: 'Register a service',
        body: CreateServiceSchema,
        response: { 201: ServiceEnvelope },
      },
    },
    async (request, reply) => {
      const service = await services.create(request.body);
      reply.code(201).header('location', `/v1/services/${service.id}`);
      return envelope(reply, service);
    },
  );

  app.get(
    '/',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags,
        summary: 'List services, newest first',
        querystring: PageQuery(),
        response: { 200: ListEnvelope(Type.Ref(ServiceSchema)) },
      },
    },
    async (request, reply) => {
      const page = await services.list(request.query);
      return envelope(reply, page.services, { count: page.services.length, nextCursor: page.nextCursor });
    },
  );

  app.get(
    '/:id',
    {
      config: { scope: 'incidents:read' },
      schema: { tags, summary: 'Get a service', params: UuidParams, response: { 200: ServiceEnvelope } },
    },
    async (request, reply) => envelope(reply, await services.get(request.params.id)),
  );

  app.patch(
    '/:id',
    {
      config: { scope: 'services:write' },
      schema: {
        tags,
        summary: 'Change a service; null clears owner, tier or description',
        params: UuidParams,
        body: UpdateServiceSchema,
        response: { 200: ServiceEnvelope },
      },
    },
    async (request, reply) => envelope(reply, await services.update(request.params.id, request.body)),
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'services:write' },
      schema: {
        tags,
        summary: 'Delete a service no unresolved incident affects',
        params: UuidParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
