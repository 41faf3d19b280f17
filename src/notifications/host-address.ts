import net from 'node:net';

/** A host name or IP address as written in a URL or smtp_host, without the brackets of an IPv6 address. */
function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** localhost, 127.0.0.0/8 or ::1: where a password in clear does not cross a network. */
export function isLoopbackHost(host: string): boolean {
  const address = bare(host);
  if (address === 'localhost') return true;
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1';
}

/**
 * 169.254.0.0/16 or fe80::/10, also written as an IPv4-mapped IPv6 address (::ffff:169.254.x.y, which a URL
 * normalizes to ::ffff:a9fe:xxxx). Link-local addresses hold cloud metadata services (169.254.169.254) and
 * no notification receiver: refused so that a channel cannot be used to probe them (docs/notifications.md).
 * Expects a host as a URL normalizes it (IPv4 in dotted decimal).
 */
export function isLinkLocalHost(host: string): boolean {
  const address = bare(host);
  if (net.isIPv4(address)) return address.startsWith('169.254.');
  if (!net.isIPv6(address)) return false;
  return /^fe[89ab][0-9a-f]:/.test(address) || /^(0{0,4}:){0,5}:?ffff:(169\.254\.|a9fe:)/.test(address);
}
