import { describe, expect, it } from '@jest/globals';
import { ApiError } from './api/client';
import type { Channel } from './api/notifications';
import { DEFAULT_EVENTS, draftFieldOf, draftOf, newDraft, parseHeaders, parseRecipients, PING_EVENTS, requestOf } from './notification-channels';

function ok(result: ReturnType<typeof requestOf>) {
  if ('errors' in result) throw new Error(`unexpected errors ${JSON.stringify(result.errors)}`);
  return result.body;
}

describe('newDraft', () => {
  it('starts with every failure on and successes off', () => {
    const draft = newDraft('slack');
    expect(draft.events).toEqual(DEFAULT_EVENTS);
    expect(draft.events).not.toContain('backup.succeeded');
    expect(draft.enabled).toBe(true);
  });

  it('starts a ping URL with the success and failure of backups (its /start, URL and /fail)', () => {
    expect(newDraft('ping').events).toEqual(PING_EVENTS);
  });
});

describe('parseHeaders', () => {
  it('reads one "Name: value" a line, skipping blank lines and keeping colons in values', () => {
    expect(parseHeaders('Authorization: Bearer a:b\n\n  X-Team : ops \r\n')).toEqual({ Authorization: 'Bearer a:b', 'X-Team': 'ops' });
  });

  it('names the line that is not a header', () => {
    expect(() => parseHeaders('X-Ok: 1\nno colon here')).toThrow('Line 2 is not a header');
    expect(() => parseHeaders('Bad Name: 1')).toThrow('Line 1 is not a header');
  });
});

describe('parseRecipients', () => {
  it('splits on commas, semicolons, spaces and lines', () => {
    expect(parseRecipients('a@example.com, b@example.com;c@example.com\n d@example.com')).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
      'd@example.com',
    ]);
  });
});

describe('requestOf', () => {
  it('sends a new webhook with its URL, secret and headers', () => {
    const draft = { ...newDraft('webhook'), name: ' Ops ', url: ' https://hooks.example.com/x ', secret: 's3cret', headers: 'X-Token: t' };
    expect(ok(requestOf(draft, false))).toEqual({
      name: 'Ops',
      type: 'webhook',
      events: DEFAULT_EVENTS,
      enabled: true,
      url: 'https://hooks.example.com/x',
      secret: 's3cret',
      headers: { 'X-Token': 't' },
    });
  });

  it('leaves the secrets and headers left empty out of an update, so the stored ones are kept', () => {
    const body = ok(requestOf({ ...newDraft('webhook'), name: 'Ops' }, true));
    expect(body).not.toHaveProperty('url');
    expect(body).not.toHaveProperty('secret');
    expect(body).not.toHaveProperty('headers');
    const ntfy = ok(requestOf({ ...newDraft('ntfy'), name: 'Phone', token: '' }, true));
    expect(ntfy).not.toHaveProperty('token');
  });

  it('removes the optional secrets and headers set to null from a stored channel, and never sends null for a new one', () => {
    const draft = { ...newDraft('webhook'), name: 'Ops', secret: null, headers: null };
    expect(ok(requestOf(draft, true))).toMatchObject({ secret: null, headers: null });
    const created = ok(requestOf({ ...draft, url: 'https://hooks.example.com/x' }, false));
    expect(created).not.toHaveProperty('secret');
    expect(created).not.toHaveProperty('headers');
  });

  it('sends no headers for a new webhook without any', () => {
    expect(ok(requestOf({ ...newDraft('webhook'), name: 'Ops', url: 'https://hooks.example.com/x' }, false))).not.toHaveProperty('headers');
  });

  it('sends an empty URL for a new channel, for the service to name the missing field', () => {
    expect(ok(requestOf({ ...newDraft('slack'), name: 'S' }, false))).toMatchObject({ url: '' });
  });

  it('sends only the fields of the type', () => {
    const body = ok(requestOf({ ...newDraft('slack'), name: 'S', url: 'https://hooks.slack.com/services/x', secret: 'stale', token: 'stale' }, false));
    expect(Object.keys(body).sort()).toEqual(['enabled', 'events', 'name', 'type', 'url']);
  });

  it('sends an email channel with a numeric port and a list of recipients; a port that is no number goes as typed', () => {
    const draft = {
      ...newDraft('email'),
      name: 'Mail',
      smtp_host: 'smtp.example.com',
      smtp_port: '465',
      smtp_security: 'tls' as const,
      smtp_password: 'pw',
      from: 'backup@example.com',
      to: 'a@example.com, b@example.com',
    };
    expect(ok(requestOf(draft, false))).toEqual({
      name: 'Mail',
      type: 'email',
      events: DEFAULT_EVENTS,
      enabled: true,
      smtp_host: 'smtp.example.com',
      smtp_port: 465,
      smtp_security: 'tls',
      smtp_user: null,
      smtp_password: 'pw',
      from: 'backup@example.com',
      to: ['a@example.com', 'b@example.com'],
    });
    expect(ok(requestOf({ ...draft, smtp_port: 'abc' }, false)).smtp_port).toBe('abc');
  });

  it('refuses headers it cannot read, naming the field', () => {
    expect(requestOf({ ...newDraft('webhook'), headers: 'nonsense' }, false)).toEqual({ errors: { headers: expect.stringContaining('Line 1') } });
  });
});

describe('draftOf', () => {
  it('starts a stored channel with its settings and every secret empty', () => {
    const channel: Channel = {
      id: 'c1',
      name: 'Mail',
      type: 'email',
      events: ['backup.failed'],
      enabled: false,
      smtp_host: 'smtp.example.com',
      smtp_port: 587,
      smtp_security: 'starttls',
      smtp_user: 'me',
      from: 'b@example.com',
      to: ['a@example.com', 'c@example.com'],
      smtp_password_set: true,
      targets: null,
      url_host: null,
      created_at: '2026-12-01T16:20:00.000Z',
      updated_at: '2026-12-01T16:20:00.000Z',
    };
    expect(draftOf(channel)).toMatchObject({
      name: 'Mail',
      events: ['backup.failed'],
      enabled: false,
      smtp_port: '587',
      smtp_user: 'me',
      to: 'a@example.com, c@example.com',
      smtp_password: '',
      url: '',
    });
  });
});

describe('draftFieldOf', () => {
  it('finds the form field an API refusal names, also with a sub-path', () => {
    expect(draftFieldOf(new ApiError(400, 'INVALID_INPUT', 'url must be an http(s) URL', { field: 'url' }))).toBe('url');
    expect(draftFieldOf(new ApiError(400, 'INVALID_INPUT', 'bad header', { field: 'headers.X-Token' }))).toBe('headers');
    expect(draftFieldOf(new ApiError(400, 'INVALID_INPUT', 'bad event', { field: 'events[2]' }))).toBe('events');
  });

  it('is undefined for a field the form does not have, an error without one, or no API error', () => {
    expect(draftFieldOf(new ApiError(400, 'INVALID_INPUT', 'targets must be …', { field: 'targets' }))).toBeUndefined();
    expect(draftFieldOf(new ApiError(404, 'CHANNEL_NOT_FOUND', 'gone'))).toBeUndefined();
    expect(draftFieldOf(new Error('boom'))).toBeUndefined();
  });
});
