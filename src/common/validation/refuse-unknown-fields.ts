import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/** The global ValidationPipe strips unknown fields; an endpoint that calls this refuses them, so a typo ("write-only": true) is not silently dropped. */
export function refuseUnknownFields(raw: unknown, fields: readonly string[]): void {
  const allowed = fields;
  const unknown = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? Object.keys(raw).filter((key) => !allowed.includes(key)) : [];
  if (unknown.length) {
    const names = unknown.map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key)).join(', ');
    throw new DomainError(ErrorCode.InvalidInput, `Unknown field${unknown.length > 1 ? 's' : ''} ${names}: the body takes ${allowed.join(', ')}`, {
      unknown: unknown.map((key) => key.slice(0, 40)),
      allowed,
    });
  }
}
