// login.js: the ACL token field in the header. The token is stored by
// api.js (local storage) and sent with every request; logging in checks it
// against /v1/acl/token/self and says whose it is, logging out forgets it.

import * as api from './api.js';

const form = document.getElementById('login');
const input = document.getElementById('token-input');
const loginButton = document.getElementById('token-login');
const who = document.getElementById('token-who');
const logoutButton = document.getElementById('token-logout');

// setupLogin wires the form. report and notify show errors and messages;
// changed runs after the token changed, to redraw the view with it.
export function setupLogin({ report, notify, changed }) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const secret = input.value.trim();
    if (!secret) return;
    api.setToken(secret);
    try {
      const self = await api.get('/v1/acl/token/self');
      report(null, 'login');
      notify(`Logged in with token ${describe(self)}.`);
    } catch (err) {
      if (err.status === 403) {
        // The agent does not know this secret: keep using the old state.
        api.setToken('');
        report(new Error('Not logged in: the agent does not know this token (ACL not found).'), 'login');
        show();
        return;
      }
      // ACLs off (401) or the agent unreachable: keep the token, it is
      // sent anyway and matters once ACLs are on.
      report(null, 'login');
      notify('Token saved; the agent could not say whose it is.');
    }
    input.value = '';
    show();
    changed();
  });
  logoutButton.addEventListener('click', () => {
    api.setToken('');
    notify('Logged out: requests go without a token.');
    show();
    changed();
  });
  show();
}

// show draws the form for the current state: a field when there is no
// token, else the token's last characters and a Log out button.
function show() {
  const secret = api.token();
  form.dataset.state = secret ? 'in' : 'out';
  input.hidden = loginButton.hidden = Boolean(secret);
  who.hidden = logoutButton.hidden = !secret;
  who.textContent = secret ? `Token …${secret.slice(-4)}` : '';
  form.querySelector('label').hidden = Boolean(secret);
}

function describe(token) {
  return token.Description ? `"${token.Description}"` : token.AccessorID;
}
