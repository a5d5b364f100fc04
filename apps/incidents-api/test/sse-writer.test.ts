import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DropReason, SseWriter } from '../src/events/sse-writer.js';

const FRAME = `data: ${'x'.repeat(256 * 1024)}\n\n`;

interface Harness {
  server: Server;
  client: Socket;
  res: ServerResponse;
}

/** A real server and a real client socket; the client reads only when the test says so. */
async function harness(): Promise<Harness> {
  const responses: ServerResponse[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    responses.push(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  client.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  client.pause();
  while (responses.length === 0) await new Promise((resolve) => setImmediate(resolve));
  return { server, client, res: responses[0] as ServerResponse };
}

let open: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  open?.client.destroy();
  open?.server.closeAllConnections();
  open?.server.close();
  open = undefined;
});

/** Bytes the client receives until the server closes the connection. */
async function drain(client: Socket): Promise<number> {
  let bytes = 0;
  client.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  client.resume();
  await once(client, 'close');
  return bytes;
}

describe('SseWriter', () => {
  it('stops writing when write() returns false and delivers the queue in order once the client reads', async () => {
    open = await harness();
    const writer = new SseWriter(
      open.res,
      { maxBufferedBytes: 64 * 1024 * 1024, drainTimeoutMs: 60_000 },
      () => {
        throw new Error('a reading client must not be dropped');
      },
    );
    for (let i = 0; i < 40; i++) writer.send(`id: ${i}\n${FRAME}`);
    expect(writer.blocked).toBe(true);
    // Node holds what write() accepted; the rest waits in the writer's queue, not in the socket.
    expect(open.res.writableLength).toBeLessThan(40 * FRAME.length);

    let text = '';
    open.client.setEncoding('utf8');
    open.client.on('data', (chunk: string) => {
      text += chunk;
    });
    open.client.resume();
    expect(await writer.ready()).toBe(true);
    while (!text.includes('id: 39\n')) await new Promise((resolve) => setTimeout(resolve, 10));
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('drops a client that does not read once it holds more than maxBufferedBytes', async () => {
    open = await harness();
    const drops: DropReason[] = [];
    const writer = new SseWriter(
      open.res,
      { maxBufferedBytes: 1024 * 1024, drainTimeoutMs: 60_000 },
      (reason) => drops.push(reason),
    );
    let sent = 0;
    while (!writer.closed && sent < 1000) {
      writer.send(FRAME);
      sent++;
    }
    expect(drops).toEqual(['buffer-full']);
    expect(sent).toBeLessThan(1000);
    expect(await writer.ready()).toBe(false);
    // What reached the client is bounded by the socket buffers and the limit, not by what was sent.
    expect(await drain(open.client)).toBeLessThan(sent * FRAME.length);
  });

  it('drops a client whose socket stays full for drainTimeoutMs', async () => {
    open = await harness();
    const drops: DropReason[] = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const writer = new SseWriter(
      open.res,
      { maxBufferedBytes: 64 * 1024 * 1024, drainTimeoutMs: 5000 },
      (reason) => drops.push(reason),
    );
    while (!writer.blocked) writer.send(FRAME);
    const waiting = writer.ready();
    vi.advanceTimersByTime(4999);
    expect(drops).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(drops).toEqual(['drain-timeout']);
    expect(await waiting).toBe(false);
    expect(writer.closed).toBe(true);
  });

  it('skips heartbeats while the socket is full', async () => {
    open = await harness();
    const writer = new SseWriter(
      open.res,
      { maxBufferedBytes: 64 * 1024 * 1024, drainTimeoutMs: 60_000 },
      () => {},
    );
    while (!writer.blocked) writer.send(FRAME);
    const held = open.res.writableLength;
    for (let i = 0; i < 100; i++) writer.comment('heartbeat');
    expect(open.res.writableLength).toBe(held);
  });
});
