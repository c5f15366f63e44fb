// The client side of docs/http-api.md: JSON GETs that turn every failure into an ApiError
// carrying the server's {"error": {"code", "message"}} (or a description of what went wrong
// on the way), and the genome download. A token (for a server bound to a non-loopback
// address) is kept in localStorage and sent as "Authorization: Bearer ...".

const TOKEN_KEY = 'seedline.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;  // HTTP status, 0 when the server could not be reached
    this.code = code;
  }
}

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lasts until the page is reloaded
  }
  memoryToken = token;
}
let memoryToken = '';

function headers() {
  const token = getToken() || memoryToken;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function request(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: { ...headers(), ...(init.headers ?? {}) } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', `cannot reach the seedline server (${e.message})`);
  }
  if (!response.ok) throw await errorFrom(response, path);
  return response;
}

async function errorFrom(response, path) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: described below from the status alone
  }
  const err = body && typeof body === 'object' ? body.error : null;
  if (err && typeof err.message === 'string') {
    return new ApiError(response.status, String(err.code ?? 'error'), err.message);
  }
  return new ApiError(response.status, 'http_' + response.status,
    `GET ${path} answered ${response.status} ${response.statusText}`.trim());
}

// GET a JSON endpoint; `params` become the query string (undefined/null values skipped).
export async function getJson(path, params = {}, signal = undefined) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) query.set(k, String(v));
  const q = query.toString();
  const url = q ? `${path}?${q}` : path;
  const response = await request(url, { signal });
  try {
    return await response.json();
  } catch {
    throw new ApiError(response.status, 'bad_json', `GET ${url} did not answer valid JSON`);
  }
}

// Downloads an individual's genome as a file: fetched first so that an error is shown to
// the user instead of being saved as a file. Returns {filename, bytes, checksum}.
export async function downloadGenome(id, format, phenotype) {
  const url = `/api/individuals/${id}/genome?format=${format}${phenotype ? '&phenotype=1' : ''}`;
  const response = await request(url);
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const match = /filename="?([^";]+)"?/.exec(disposition);
  const filename = match ? match[1] : `individual-${id}.${format}`;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return { filename, bytes: blob.size, checksum: response.headers.get('X-Seedline-Checksum') };
}
