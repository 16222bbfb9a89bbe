// The admin API as the page calls it: the token (kept in this tab's sessionStorage only), fetch with the
// Authorization header, the daemon's error messages, and a 401 that hands over to whoever asks for the token.

const TOKEN_KEY = 'slotswap.adminToken';

const REFUSED = 'The daemon refused this token. Paste the content of admin.tokenFile (by default state/admin.token) from the daemon\'s machine.';

let token = sessionStorage.getItem(TOKEN_KEY);
let unauthorized = () => {};

export const getToken = () => token;

/** Uses `value` for the next calls, without keeping it yet (the login form tries it first). */
export function useToken(value) {
  token = value;
}

/** Keeps the token in use for this tab. */
export function saveToken() {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

/** What to do when the daemon refuses the token (ask for it again). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function refuseToken() {
  unauthorized(REFUSED);
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function request(method, path, { json, body, headers, accept = 'application/json' } = {}) {
  const init = { method, cache: 'no-store', headers: { authorization: `Bearer ${token}`, accept, ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  return fetch(path, init).catch((err) => {
    throw new ApiError(0, 'unreachable', `the daemon did not answer ${method} /${path} (${err.message}); is it running?`);
  });
}

/** The daemon's refusal as an ApiError (its JSON error body when there is one); a 401 asks for the token again. */
async function refusal(res) {
  const text = await res.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = null;
  }
  if (res.status === 401) {
    refuseToken();
    return new ApiError(401, 'unauthorized', data?.message ?? 'missing or wrong admin token');
  }
  return new ApiError(res.status, data?.error ?? `http_${res.status}`, data?.message ?? (text.trim().slice(0, 300) || res.statusText));
}

/** Calls the admin API with the token; a 401 forgets the token and asks for it again. */
export async function api(method, path, options = {}) {
  const res = await request(method, path, options);
  if (!res.ok) throw await refusal(res);
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(res.status, 'bad_response', `the daemon answered ${method} /${path} with something that is not JSON`);
  }
}

/** Calls a streaming route (POST /api/deploy): the 200 response to read line by line, or the daemon's error. */
export async function apiStream(method, path, options = {}) {
  const res = await request(method, path, { ...options, accept: 'application/x-ndjson, application/json' });
  if (!res.ok) throw await refusal(res);
  if (!res.body) throw new ApiError(res.status, 'bad_response', `the daemon answered ${method} /${path} without a body`);
  return res;
}
