import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { authFetch, forgetToken, setTokenPrompt } from './auth';

const TOKEN = 'auth-spec-token-0123456789abcdef0123';
const SERVICE = 'http://sentinel.test';

/** Lets the event loop run until `done` holds (each turn a macrotask, so every pending microtask has run). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn > 200) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('authFetch with the page burst of 401s', () => {
  const realFetch = globalThis.fetch;
  beforeEach(() => forgetToken());
  afterEach(() => {
    globalThis.fetch = realFetch;
    setTokenPrompt(undefined);
    forgetToken();
  });

  it('asks once when a 401 body is still arriving as the token is given: that request retries with it', async () => {
    const questions: Array<{ message: string; rejected: boolean }> = [];
    let answer: ((token: string) => void) | undefined;
    setTokenPrompt((question) => {
      questions.push(question);
      // A second question would be the bug: answered at once, so the test ends and counts it.
      return questions.length === 1 ? new Promise<string>((resolve) => (answer = resolve)) : Promise.resolve(TOKEN);
    });
    const sent: string[] = [];
    let finishSlowBody: (() => void) | undefined;
    globalThis.fetch = (async (request: Request) => {
      const { pathname } = new URL(request.url);
      const authorization = request.headers.get('authorization');
      sent.push(`${pathname} ${authorization ?? 'no token'}`);
      if (authorization === `Bearer ${TOKEN}`) return new Response('{}', { status: 200 });
      const body = JSON.stringify({ message: 'This API needs a token: send "Authorization: Bearer <SENTINEL_API_TOKEN>"' });
      if (pathname !== '/api/slow') return new Response(body, { status: 401 });
      // Its status and headers are in; its body comes when the test says so.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          finishSlowBody = () => {
            controller.enqueue(new TextEncoder().encode(body));
            controller.close();
          };
        },
      });
      return new Response(stream, { status: 401 });
    }) as typeof fetch;

    const first = authFetch(new Request(`${SERVICE}/api/settings`));
    await until(() => answer !== undefined);
    const slow = authFetch(new Request(`${SERVICE}/api/slow`));
    await until(() => sent.includes('/api/slow no token'));
    answer?.(TOKEN);
    expect((await first).status).toBe(200);
    finishSlowBody?.();

    expect((await slow).status).toBe(200);
    expect(questions).toEqual([{ message: expect.stringContaining('needs a token'), rejected: false }]);
    expect(sent).toEqual([`/api/settings no token`, `/api/slow no token`, `/api/settings Bearer ${TOKEN}`, `/api/slow Bearer ${TOKEN}`]);
  });
});
