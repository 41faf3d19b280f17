import type { AllowedHost } from '../../config/environment.js';
import { isLoopbackHost } from '../../config/environment.js';

/** A `Host` header or an origin's authority, split and lower-cased; `port` is undefined when none was written. */
export interface Authority {
  hostname: string;
  port: number | undefined;
}

/** Names and IP literals only: no user info, path or anything a URL parser would reinterpret. */
const AUTHORITY = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+?)\.?(?::(\d{1,5}))?$/;

/**
 * Which names this service answers to, and which origins are its own.
 *
 * A DNS-rebinding page reaches the service under the attacker's name (`Host: rebind.example:8080`);
 * refusing every Host that is not loopback or listed in SENTINEL_ALLOWED_HOSTS takes that away. An origin
 * is our own when it is the Host of the request itself (the admin page and Swagger UI, served here) or one
 * of the allowed names (a reverse proxy that serves the page over https under that name).
 */
export class HostPolicy {
  constructor(private readonly allowed: readonly AllowedHost[]) {}

  static parseAuthority(value: string | undefined): Authority | undefined {
    const match = AUTHORITY.exec((value ?? '').trim().toLowerCase());
    if (!match) return undefined;
    return { hostname: match[1], port: match[2] === undefined ? undefined : Number(match[2]) };
  }

  /** True when a request with this `Host` header may be answered. */
  isAllowedHost(hostHeader: string | undefined): boolean {
    const host = HostPolicy.parseAuthority(hostHeader);
    if (!host) return false;
    if (isLoopbackHost(host.hostname)) return true;
    // The request reached our plain-HTTP socket, so a Host without a port means port 80.
    return this.isListed(host.hostname, host.port ?? 80);
  }

  /** True when `origin` (an Origin header) is the service itself: the request's own Host, or an allowed name. */
  isOwnOrigin(origin: string, hostHeader: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes "null", sent by sandboxed frames, data: URLs and privacy-sensitive redirects
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.trim().toLowerCase().replace(/\/$/, '')) return false;
    const from = HostPolicy.parseAuthority(url.host);
    const host = HostPolicy.parseAuthority(hostHeader);
    if (!from || !host) return false;
    if (from.hostname === host.hostname && from.port === host.port) return true;
    return this.isListed(from.hostname, from.port ?? (url.protocol === 'https:' ? 443 : 80));
  }

  private isListed(hostname: string, port: number): boolean {
    return this.allowed.some((entry) => entry.hostname === hostname && (entry.port === undefined || entry.port === port));
  }
}
