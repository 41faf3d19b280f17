import type { IncomingMessage, Server } from 'node:http';

/**
 * The HTTP requests being answered right now, so that a stop that runs out of time can say what it
 * was waiting for (only method and path are kept: a query string may hold anything); and the
 * draining of keep-alive connections while the app closes.
 *
 * Why draining: Node's server.close() drops the connections idle at that moment, but a connection
 * busy then stays open after its answer, and a client polling every few milliseconds (the admin
 * page waiting for a restart, a monitoring probe) keeps reusing it: the close, and with it the
 * in-process restart or a SIGTERM stop, waited for as long as the client polled.
 */
export class InFlightRequests {
  private readonly open = new Map<IncomingMessage, number>();
  private draining: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly server: Server) {
    // Before the application's own listener, so no middleware can have answered yet.
    server.prependListener('request', (req: IncomingMessage, res) => {
      this.open.set(req, Date.now());
      // Once closing, each answer ends its connection.
      if (this.closing && !res.headersSent) res.setHeader('Connection', 'close');
      res.once('close', () => this.open.delete(req));
    });
  }

  /** Call before closing the app: later answers close their connection, and idle ones are dropped until the server has closed. */
  drain(): void {
    this.closing = true;
    this.server.closeIdleConnections();
    this.draining = setInterval(() => this.server.closeIdleConnections(), 50);
    this.draining.unref();
    this.server.once('close', () => clearInterval(this.draining));
  }

  describe(now = Date.now()): string[] {
    return [...this.open].map(([req, since]) => `${req.method} ${(req.url ?? '').split('?')[0]} (for ${Math.round((now - since) / 1000)} s)`);
  }
}
