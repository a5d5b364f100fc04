// Peer 1: bare Fastify 5 and a plain pg pool running the service's query and answering the same body.
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify();
app.get('/v1/users/:id', async (request, reply) => {
  const { rows } = await pool.query('select * from users where id = $1', [request.params.id]);
  if (!rows[0]) return reply.code(404).send({ error: { code: 'NOT_FOUND' } });
  return { data: rows[0], meta: { requestId: request.id, durationMs: 0 } };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
