import { type Static, Type } from '@sinclair/typebox';
import { DataEnvelope, envelope, ListEnvelope, PageQuery, UuidParams } from '@steadfast/http';
import type { ServiceApp } from '@steadfast/service-kit';
import type { UserService } from '../../users/user.service.js';

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    email: Type.String({ format: 'email' }),
    muted: Type.Boolean({ description: 'Call state: whether the user is muted' }),
    deviceId: Type.Union([Type.String(), Type.Null()], { description: 'Call state: the active device' }),
    deviceLabel: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User', title: 'User' },
);

const Name = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '\\S',
  description: '1–255 characters, not blank',
});
const Email = Type.String({ format: 'email', maxLength: 254, description: 'Stored lowercased' });

export const CreateUserSchema = Type.Object({ name: Name, email: Email }, { additionalProperties: false });
export const UpdateUserSchema = Type.Object(
  { name: Type.Optional(Name), email: Type.Optional(Email) },
  { additionalProperties: false, minProperties: 1 },
);
export const CallStateSchema = Type.Object(
  {
    muted: Type.Optional(Type.Boolean()),
    deviceId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
    deviceLabel: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export type CreateUser = Static<typeof CreateUserSchema>;

const UserEnvelope = DataEnvelope(Type.Ref(UserSchema));
const tags = ['users'];

export interface UsersRoutesOptions {
  users: UserService;
}

export async function usersRoutes(app: ServiceApp, { users }: UsersRoutesOptions) {
  app.addSchema(UserSchema);

  app.post(
    '/',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: 'Create a user',
        body: CreateUserSchema,
        response: { 201: UserEnvelope },
      },
    },
    async (request, reply) => {
      const user = await users.create(request.body);
      reply.code(201).header('location', `/v1/users/${user.id}`);
      return envelope(reply, user);
    },
  );

  app.get(
    '/',
    {
      config: { scope: 'users:read' },
      schema: {
        tags,
        summary: 'List users, newest first',
        querystring: PageQuery(),
        response: { 200: ListEnvelope(Type.Ref(UserSchema)) },
      },
    },
    async (request, reply) => {
      const page = await users.list(request.query);
      return envelope(reply, page.users, { count: page.users.length, nextCursor: page.nextCursor });
    },
  );

  app.get(
    '/:id',
    {
      config: { scope: 'users:read' },
      schema: { tags, summary: 'Get a user', params: UuidParams, response: { 200: UserEnvelope } },
    },
    async (request, reply) => envelope(reply, await users.get(request.params.id)),
  );

  app.patch(
    '/:id',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: 'Change a user’s name or email',
        params: UuidParams,
        body: UpdateUserSchema,
        response: { 200: UserEnvelope },
      },
    },
    async (request, reply) => envelope(reply, await users.update(request.params.id, request.body)),
  );

  app.patch(
    '/:id/state',
    {
      config: { scope: 'users:write' },
      schema: {
        tags,
        summary: 'Set a user’s call state (muted, device)',
        params: UuidParams,
        body: CallStateSchema,
        response: { 200: UserEnvelope },
      },
    },
    async (request, reply) => envelope(reply, await users.setCallState(request.params.id, request.body)),
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'users:write' },
      schema: { tags, summary: 'Delete a user', params: UuidParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await users.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
