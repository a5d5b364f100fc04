/** What both fuzz files of this service run: CI's suite (fuzz.test.ts) and the kit's findings (fuzz-kit.test.ts). */
export const USERS_FUZZ = {
  // Enough to reach every handler with valid and broken input while the file stays well under a minute.
  numRuns: 100,
  resource: '/v1/users',
  expectOperations: ['POST /v1/users/', 'PATCH /v1/users/{id}'],
};
