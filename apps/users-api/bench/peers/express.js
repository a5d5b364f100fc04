// Peer 2: the Express stack the seeds used: Express 5, helmet, express-rate-limit, a prom-client request-duration
// histogram, one winston JSON line per request, and the same query on a plain pg pool.
import { randomUUID } from 'node:crypto';
import express from 'express';
import rateLimit from 'express-rate-limit';
import helmet from 'helmet';
import pg from 'pg';
import { Histogram, Registry } from 'prom-client';
import winston from 'winston';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const registry = new Registry();
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Request duration',
  labelNames: ['method', 'route', 'status_code'],
  registers: [registry],
});
const log = winston.createLogger({
  format: winston.format.json(),
  transports: [new winston.transports.Console()],
});

const app = express();
app.use(helmet());
app.use(
  rateLimit({ windowMs: 60_000, limit: 100_000_000, standardHeaders: 'draft-7', legacyHeaders: false }),
);
app.use((request, response, next) => {
  const end = duration.startTimer();
  const requestId = randomUUID();
  const started = performance.now();
  response.locals.requestId = requestId;
  response.on('finish', () => {
    const route = request.route?.path ?? 'unmatched';
    end({ method: request.method, route, status_code: response.statusCode });
    log.info('request completed', {
      requestId,
      method: request.method,
      url: request.originalUrl,
      statusCode: response.statusCode,
      durationMs: performance.now() - started,
    });
  });
  next();
});
app.get('/v1/users/:id', async (request, response) => {
  const { rows } = await pool.query('select * from users where id = $1', [request.params.id]);
  if (!rows[0]) return response.status(404).json({ error: { code: 'NOT_FOUND' } });
  response.json({ data: rows[0], meta: { requestId: response.locals.requestId, durationMs: 0 } });
});
app.get('/metrics', async (_request, response) => {
  response.type(registry.contentType).send(await registry.metrics());
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () =>
  server.close(async () => {
    await pool.end();
    process.exit(0);
  }),
);
