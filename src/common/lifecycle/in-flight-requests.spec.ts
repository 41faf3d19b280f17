import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InFlightRequests } from './in-flight-requests.js';

/**
 * A real HTTP server and a real keep-alive client: the drain exists for what a polling client does to
 * Node's server.close(), so only a real connection can show it.
 */
describe('InFlightRequests', () => {
  const POLL_MS = 100;
  /** Well inside Node's 5 s keep-alive timeout, which would otherwise end an idle connection by itself. */
  const POLLING_FOR_MS = 2500;

  let server: http.Server;
  let agent: http.Agent;
  let port: number;

  beforeEach(async () => {
    // Each answer takes a moment, so that a request is in flight when the server closes.
    server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 40));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });

  afterEach(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  });

  /** One GET on the pooled keep-alive connection: "200" or the error code. */
  function get(path = '/api/health'): Promise<string> {
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, agent, path }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  }

  /**
   * Closes the server while a poll is in flight and the client goes on polling every POLL_MS, as the admin
   * page does while it waits for a restart; resolves with whether the server closed while the client polled.
   */
  async function closeWhilePolling(drain: () => void): Promise<{ closedWhilePolling: boolean; answers: string[] }> {
    expect(await get()).toBe('200');
    let closed = false;
    server.once('close', () => (closed = true));
    const inFlight = get();
    await new Promise((resolve) => setTimeout(resolve, 10));
    drain();
    server.close();
    const answers = [await inFlight];
    const until = Date.now() + POLLING_FOR_MS;
    while (!closed && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      answers.push(await get());
    }
    return { closedWhilePolling: closed, answers };
  }

  it('drained, the server closes while a client polls on a keep-alive connection that was busy at the close', async () => {
    const requests = new InFlightRequests(server);
    const { closedWhilePolling, answers } = await closeWhilePolling(() => requests.drain());
    expect(closedWhilePolling).toBe(true);
    // The request in flight was answered; the polls after it find the service gone.
    expect(answers[0]).toBe('200');
    expect(answers.slice(1).every((answer) => answer === 'ECONNREFUSED')).toBe(true);
  });

  it('without the drain, that client keeps the server open for as long as it polls (why the drain exists)', async () => {
    const { closedWhilePolling, answers } = await closeWhilePolling(() => undefined);
    expect(closedWhilePolling).toBe(false);
    expect(answers.every((answer) => answer === '200')).toBe(true);
  });

  it('names the requests being answered by method and path, never their query string', async () => {
    const requests = new InFlightRequests(server);
    const pending = get('/api/backups/local?token=secret-value');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(requests.describe()).toEqual(['GET /api/backups/local (for 0 s)']);
    expect(await pending).toBe('200');
    expect(requests.describe()).toEqual([]);
  });
});
