import { type Static, Type } from '@sinclair/typebox';
import { serviceConfigSchema } from '@steadfast/service-kit';

export const UsersApiConfigSchema = serviceConfigSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3001, description: 'Port to listen on' }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: '.data/users-api',
    description: 'Embedded PostgreSQL data',
  }),
});

export type UsersApiConfig = Static<typeof UsersApiConfigSchema>;
