import { Type } from '@sinclair/typebox';

export const UuidParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
