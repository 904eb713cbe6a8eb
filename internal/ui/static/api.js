// api.js is the only module that talks to the agent: plain fetch calls to
// the public /v1 HTTP API, and blocking-query watches that keep a view
// current without polling on a timer.

// How long one blocking query may wait for a change before the agent
// answers with the same index (the agent adds a little jitter).
const WAIT = '60s';

// Retry delays after a failed read: the first retry comes quickly, later
// ones back off so a stopped agent is not hammered.
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

let datacenter = '';

// setDatacenter makes every later request carry ?dc=dc.
export function setDatacenter(dc) {
  datacenter = dc;
}

// The ACL token is kept in the browser's local storage, so that it
// survives a reload and is shared by the agent's tabs, and is sent as
// X-Consul-Token on every request. It never goes into a URL, where logs
// and history would keep it.
const TOKEN_KEY = 'concord.token';

// token returns the stored ACL token, or '' when the user gave none.
export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return ''; // storage disabled: requests go without a token
  }
}

// setToken stores the token, or forgets it when it is empty.
export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

// APIError is a failed call, with the agent's own message. A 403 says
// "permission denied", so that a denial reads as one and not as a fault.
export class APIError extends Error {
  constructor(method, path, status, message) {
    let text = status ? `${method} ${path}: ${status} ${message}` : `${method} ${path}: ${message}`;
    if (status === 403) {
      // The agent says "Permission denied: token with AccessorID ... lacks
      // permission ...", or "ACL not found" for a token it does not know.
      const why = message.replace(/^Permission denied:?\s*/i, '');
      text = `Permission denied: ${method} ${path}${why ? `: ${why}` : ''}. ` +
        (token() ? 'The token in use does not allow this.' : 'Log in with a token that allows this.');
    }
    super(text);
    this.name = 'APIError';
    this.status = status;
  }
}

// segment escapes one path segment (a service, node or session name).
export function segment(name) {
  return encodeURIComponent(name);
}

// keyPath escapes a KV key for /v1/kv/, keeping its slashes.
export function keyPath(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

function buildURL(path, params) {
  const u = new URL(path, location.origin);
  if (datacenter) u.searchParams.set('dc', datacenter);
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    // Flags such as ?keys and ?recurse count by presence alone.
    u.searchParams.set(name, value === true ? '' : String(value));
  }
  return u;
}

// request makes one call and returns {data, index}: data is the decoded
// JSON (or text), index the X-Consul-Index header (0 when absent). With
// allow404, a 404 gives data null instead of an error: KV answers 404 for
// a missing key, with an index to block on.
export async function request(method, path, { params, body, signal, allow404 } = {}) {
  let res;
  try {
    const secret = token();
    const headers = secret ? { 'X-Consul-Token': secret } : {};
    res = await fetch(buildURL(path, params), { method, body, signal, headers, cache: 'no-store' });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new APIError(method, path, 0, `cannot reach the agent (${err.message})`);
  }
  const index = Number(res.headers.get('X-Consul-Index')) || 0;
  const text = await res.text();
  if (res.status === 404 && allow404) return { data: null, index };
  if (!res.ok) throw new APIError(method, path, res.status, text.trim() || res.statusText);
  const isJSON = (res.headers.get('Content-Type') ?? '').includes('json');
  return { data: isJSON && text !== '' ? JSON.parse(text) : text, index };
}

// get reads path and returns only the data.
export async function get(path, opts) {
  return (await request('GET', path, opts)).data;
}

// put writes body to path and returns the agent's answer (true or false
// for KV and session writes).
export async function put(path, body, opts = {}) {
  return (await request('PUT', path, { ...opts, body })).data;
}

// del deletes path and returns the agent's answer.
export async function del(path, opts) {
  return (await request('DELETE', path, opts)).data;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// watch keeps reading path with blocking queries until signal aborts. The
// first read answers at once; each next one passes the last X-Consul-Index
// and waits up to WAIT for it to move. onData(data, index) runs for every
// new index; onError(err) runs when a read fails and onError(null) when
// reads work again.
export async function watch(path, { params, allow404, signal, onData, onError }) {
  let index = 0;
  let retry = 0;
  let failing = false;
  while (!signal.aborted) {
    const started = performance.now();
    try {
      const blocking = index > 0 ? { index, wait: WAIT } : {};
      const res = await request('GET', path, { params: { ...params, ...blocking }, signal, allow404 });
      retry = 0;
      if (failing) {
        failing = false;
        onError(null);
      }
      if (res.index < index) {
        index = 0; // the index went back (a restored snapshot): read afresh
        continue;
      }
      if (res.index === index) {
        // The wait ran out with nothing new. Guard against an agent that
        // answers at once without blocking.
        if (performance.now() - started < 100) await sleep(1000, signal);
        continue;
      }
      index = Math.max(res.index, 1);
      onData(res.data, index);
    } catch (err) {
      if (signal.aborted) return;
      failing = true;
      onError(err);
      retry = Math.min(retry ? retry * 2 : RETRY_MIN_MS, RETRY_MAX_MS);
      await sleep(retry, signal);
    }
  }
}

// watchAll watches several paths and calls onChange with the latest data
// of all of them (in the order given) once each has answered, then again
// whenever any of them changes. onChange may be async. onError(err, key)
// reports a failure, and onError(null, key) its end; key is the failing
// path, or "update" for onChange itself.
export function watchAll(specs, { signal, onChange, onError }) {
  const latest = new Array(specs.length);
  const seen = new Array(specs.length).fill(false);
  specs.forEach((spec, i) => {
    watch(spec.path, {
      params: spec.params,
      allow404: spec.allow404,
      signal,
      onError: (err) => onError(err, spec.path),
      onData(data) {
        latest[i] = data;
        seen[i] = true;
        if (!seen.every(Boolean)) return;
        Promise.resolve()
          .then(() => onChange([...latest]))
          .then(() => onError(null, 'update'))
          .catch((err) => { if (!signal.aborted && err.name !== 'AbortError') onError(err, 'update'); });
      },
    });
  });
}
