import { type Static, Type } from '@sinclair/typebox';

/** What the page learns from `GET /console/settings`; nothing secret (the service token stays on the server). */
export const ConsoleSettingsSchema = Type.Object({
  services: Type.Array(Type.Object({ name: Type.String() })),
  incidentsService: Type.String(),
});
export type ConsoleSettings = Static<typeof ConsoleSettingsSchema>;
