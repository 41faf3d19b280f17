import type { IncomingMessage, Server } from 'node:http';

/**
 * The HTTP requests being answered right now, so that a stop that runs out of time can say what it
 * was waiting for. Only the method and the path are kept: a query string may hold anything.
 */
export class InFlightRequests {
  private readonly open = new Map<IncomingMessage, number>();

  watch(server: Server): void {
    server.on('request', (req: IncomingMessage, res) => {
      this.open.set(req, Date.now());
      res.once('close', () => this.open.delete(req));
    });
  }

  describe(now = Date.now()): string[] {
    return [...this.open].map(([req, since]) => `${req.method} ${(req.url ?? '').split('?')[0]} (for ${Math.round((now - since) / 1000)} s)`);
  }
}
