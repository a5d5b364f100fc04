// The stream clients of `bench:load`, as a process of their own: opens `count` streams of /v1/incidents/stream,
// one token subject each (`<prefix>-<i>`), and notes when each stream receives the incident.updated event of the
// incident titled `change-<k>`. Argument: JSON `{ url, count, prefix }`. Prints one JSON line once every stream is
// open or refused (`{ open, refused }`), and, on the line `report` on stdin, `{ received: { k: [ms since the
// epoch, …] } }`, then closes its streams and exits.
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { benchToken } from '@steadfast/service-kit/testing-bench';

const { url, count, prefix } = JSON.parse(process.argv[2]);
const OPENING_AT_ONCE = 50;
const now = () => performance.timeOrigin + performance.now();
const received = {};
const refused = {};
const streams = [];

function open(subject) {
  return benchToken('incidents-api', 'incidents:read', subject).then(
    (token) =>
      new Promise((resolve) => {
        const req = request(`${url}/v1/incidents/stream`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          agent: false,
        });
        req.on('response', (response) => {
          if (response.statusCode !== 200) {
            refused[response.statusCode] = (refused[response.statusCode] ?? 0) + 1;
            response.resume();
            resolve();
            return;
          }
          streams.push(req);
          let pending = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            const at = now();
            pending += chunk;
            const events = pending.split('\n\n');
            pending = events.pop() ?? '';
            for (const event of events) {
              const change = /"title":"change-(\d+)"/.exec(event);
              if (!change || !event.includes('event: incident.updated')) continue;
              received[change[1]] ??= [];
              received[change[1]].push(at);
            }
          });
          resolve();
        });
        req.on('error', (error) => {
          refused[error.code ?? 'error'] = (refused[error.code ?? 'error'] ?? 0) + 1;
          resolve();
        });
        req.end();
      }),
  );
}

for (let first = 0; first < count; first += OPENING_AT_ONCE) {
  const batch = [];
  for (let i = first; i < Math.min(count, first + OPENING_AT_ONCE); i++) batch.push(open(`${prefix}-${i}`));
  await Promise.all(batch);
}
console.log(JSON.stringify({ open: streams.length, refused }));

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'report') continue;
  for (const stream of streams) stream.destroy();
  // A pipe is written asynchronously: exit once the whole line is out.
  process.stdout.write(`${JSON.stringify({ received })}\n`, () => process.exit(0));
}
