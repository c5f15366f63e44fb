// How the dashboard shows a failure: what failed, the server's error code and message
// ({"error": {"code", "message"}}), and for a missing or wrong token a field to enter one.
import { ApiError, getToken, setToken } from './api.js';
import { h } from './dom.js';

export function errorBox(err, what = '') {
  const isApi = err instanceof ApiError;
  const box = h('div', { class: 'error', role: 'alert' },
    h('strong', {}, what ? `${what}: ` : 'Error: '),
    h('span', { class: 'error-message' }, err?.message ?? String(err)),
    isApi ? h('span', { class: 'error-code' }, ` (${err.status ? `HTTP ${err.status}, ` : ''}${err.code})`) : null);
  if (isApi && err.status === 401) box.append(tokenForm());
  return box;
}

function tokenForm() {
  const input = h('input', { type: 'password', placeholder: 'token', value: getToken(), 'aria-label': 'API token' });
  return h('form', {
    class: 'token-form',
    onsubmit: (e) => {
      e.preventDefault();
      setToken(input.value.trim());
      location.reload();
    },
  }, 'This server needs a token (seedline serve --token): ', input, h('button', { type: 'submit' }, 'Use token'));
}
