/**
 * The API token, when the service has SENTINEL_API_TOKEN set. The page learns that from a 401, asks
 * once (TokenDialog), and keeps the token in sessionStorage: it lives as long as this browser tab.
 */
const STORAGE_KEY = 'sentinel-backup.api-token';

export type TokenPrompt = (reason: { message: string; rejected: boolean }) => Promise<string>;

let prompt: TokenPrompt | undefined;
let pending: Promise<string> | undefined;
/** Fallback when sessionStorage is unavailable (then the token lasts until the page is reloaded). */
let memoryToken: string | null = null;

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function setToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // storage disabled: memoryToken below still holds it
  }
  memoryToken = token;
}

function currentToken(): string | null {
  return getToken() ?? memoryToken;
}

/** The dialog that asks for the token registers itself here. */
export function setTokenPrompt(fn: TokenPrompt | undefined): void {
  prompt = fn;
}

/** One question at a time: every request that meets a 401 meanwhile waits for the same answer. */
function askForToken(message: string, rejected: boolean): Promise<string> {
  if (!prompt) return Promise.reject(new Error(message));
  pending ??= prompt({ message, rejected }).then(
    (token) => {
      pending = undefined;
      setToken(token);
      return token;
    },
    (error: unknown) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

function withToken(request: Request, token: string | null): Request {
  if (!token) return request;
  const headers = new Headers(request.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}

async function messageOf(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  return 'This service needs an API token.';
}

/**
 * fetch with the bearer token. On a 401 it asks for a token and sends the request again, until the
 * token is accepted (or the question is dismissed, which leaves the 401 to the caller).
 */
export async function authFetch(input: Request): Promise<Response> {
  let used = currentToken();
  const original = input.clone();
  let response = await fetch(withToken(input, used));
  while (response.status === 401) {
    const message = await messageOf(response);
    // Read after the message, with nothing awaited before asking: the token may have been given while the 401's body
    // was read (the page's first requests meet 401s in a burst), and then this request retries with it instead of
    // asking again; read before, that answer was missed and the question came back right after Continue.
    let token = currentToken();
    if (!token || token === used) {
      try {
        token = await askForToken(message, used !== null);
      } catch {
        return response;
      }
    }
    used = token;
    response = await fetch(withToken(original.clone(), token));
  }
  return response;
}

/** "Forget token": this tab no longer sends it; the next request that needs one asks again. */
export function forgetToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: only memoryToken held it
  }
  memoryToken = null;
}

export function hasToken(): boolean {
  return currentToken() !== null;
}
