// The users-api the ablation measures: the service as dist/app.js builds it, with the pieces named in BENCH_WITHOUT
// (comma-separated) left out. Bench-only: no switch here is configuration, and the service itself never reads one.
import { createService, OMITTABLE_PIECES, runService } from '@steadfast/service-kit';
import { SERVICE } from '../dist/app.js';
import { UsersApiConfigSchema } from '../dist/config.js';
import { usersRoutes } from '../dist/routes/v1/users.js';
import { toUser } from '../dist/users/user.js';
import { userService } from '../dist/users/user.service.js';

/** Pieces of the app rather than of the kit. */
const APP_PIECES = ['slis', 'breaker', 'response-schema', 'kysely'];
const without = new Set((process.env.BENCH_WITHOUT ?? '').split(',').filter(Boolean));
for (const piece of without) {
  if (!OMITTABLE_PIECES.includes(piece) && !APP_PIECES.includes(piece)) {
    throw new Error(`BENCH_WITHOUT: unknown piece ${piece}`);
  }
}

/** GET /v1/users/:id as one named (prepared) statement on the pool instead of a Kysely query. */
function preparedGet(app, users) {
  return {
    ...users,
    async get(id) {
      const { rows } = await app.database.pool.query({
        name: 'bench-find-user',
        text: 'select * from "users" where "id" = $1',
        values: [id],
      });
      if (rows[0] === undefined) return users.get(id);
      return toUser(rows[0]);
    },
  };
}

async function buildApp(config) {
  const app = await createService({
    service: { ...SERVICE, ...(without.has('slis') ? { slos: false } : {}) },
    config,
    omit: new Set([...without].filter((piece) => OMITTABLE_PIECES.includes(piece))),
  });
  if (without.has('response-schema')) {
    app.addHook('onRoute', (route) => {
      if (route.schema) delete route.schema.response;
    });
  }
  let users = userService(app.db);
  if (without.has('kysely')) users = preparedGet(app, users);
  if (!without.has('breaker')) users = app.guardDatabase(users);
  await app.register(usersRoutes, { prefix: '/v1/users', users });
  return app;
}

await runService({ name: 'users-api', configSchema: UsersApiConfigSchema, buildApp });
