// The controller's JSON API (docs/api.md) as the console uses it: same origin, the session
// cookie, and the session's CSRF token in X-CSRF-Token on every write.

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let csrfToken = null;
let onUnauthenticated = () => {};

export function setCsrfToken(token) {
  csrfToken = token || null;
}

// Called when a request answers 401 (the session expired or was ended elsewhere).
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function apiUrl(path, query) {
  const url = new URL('/api/v1' + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

// request('POST', '/campaigns', { json: {...} }) -> parsed JSON, or null for 204.
// Throws ApiError carrying the API's { error, detail }.
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    body = options.body;
    if (options.contentType) headers['Content-Type'] = options.contentType;
  } else if (unsafeMethods.has(method)) {
    // The API reads a JSON object from every write; an empty object for action routes.
    headers['Content-Type'] = 'application/json; charset=utf-8';
    body = '{}';
  }
  if (unsafeMethods.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'network', t('máy chủ không trả lời', 'the controller did not answer') + ' (' + error.message + ')');
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  let payload = null;
  if (type.includes('application/json')) {
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
  } else {
    payload = await response.text();
  }
  if (!response.ok) {
    const code = payload && payload.error ? payload.error : 'http-' + response.status;
    let detail = payload && payload.detail ? payload.detail : typeof payload === 'string' ? payload : '';
    if (response.status === 429 && response.headers.get('Retry-After')) {
      const seconds = response.headers.get('Retry-After');
      detail = detail || t('thử lại sau ' + seconds + ' giây', 'try again in ' + seconds + ' s');
    }
    const error = new ApiError(response.status, code, detail);
    if (response.status === 401 && !options.noSessionCheck) onUnauthenticated(error);
    throw error;
  }
  return payload;
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, json) => request('POST', path, { json: json === undefined ? {} : json });
export const put = (path, json) => request('PUT', path, { json });
export const del = (path) => request('DELETE', path);

// Every item of a paginated list, following next_cursor (at most `maxPages` pages).
export async function listAll(path, query = {}, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await get(path, { ...query, limit: 500, cursor });
    items.push(...answer.items);
    if (!answer.next_cursor) break;
    cursor = answer.next_cursor;
  }
  return items;
}
