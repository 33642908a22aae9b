// Client script, part 1: the function key, the admin API call, DOM building and formatting.
// The client parts are plain JavaScript in strings (no build step, so the page works the same in
// Azure Functions and the local host); they share one function scope (see ./index.ts). Data only
// ever reaches the page through textContent, and links only with an http(s) URL.
export const CORE = String.raw`
'use strict';
var KEY_NAME = 'azure-onedrive-backup.functionKey';
// The page is served at <prefix>/ui; the admin API lives beside it under <prefix>/.
var API_BASE = location.pathname.replace(/\/ui\/?$/, '/');
var FINAL = { succeeded: 1, 'partially-failed': 1, failed: 1, 'timed-out': 1 };
var state = { connections: [], jobs: [], scheduleWords: {}, runPoll: null };

function $(id) { return document.getElementById(id); }

function getKey() {
  try { return sessionStorage.getItem(KEY_NAME) || ''; } catch (e) { return ''; }
}
function setKey(key) { sessionStorage.setItem(KEY_NAME, key); }
function clearKey() { sessionStorage.removeItem(KEY_NAME); }

// Builds an element: props.text (textContent), props.className, props.attrs (attributes),
// props.on (event listeners); children are nodes or strings (added as text, never as HTML).
function h(tag, props, children) {
  var node = document.createElement(tag);
  props = props || {};
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  var attrs = props.attrs || {};
  Object.keys(attrs).forEach(function (name) {
    if (attrs[name] !== undefined && attrs[name] !== null && attrs[name] !== false)
      node.setAttribute(name, attrs[name] === true ? '' : String(attrs[name]));
  });
  var on = props.on || {};
  Object.keys(on).forEach(function (type) { node.addEventListener(type, on[type]); });
  (children || []).forEach(function (child) {
    if (child === null || child === undefined || child === false) return;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  });
  return node;
}

function button(text, onClick, extra) {
  var b = h('button', { text: text, attrs: Object.assign({ type: 'button' }, extra || {}), on: { click: onClick } });
  return b;
}

// A link to somewhere else (OneDrive); only http(s) URLs become links, anything else stays text.
function externalLink(url, text) {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return null;
  return h('a', { text: text, attrs: { href: url, target: '_blank', rel: 'noopener noreferrer' } });
}

function errorLine() { return h('p', { className: 'error', attrs: { role: 'alert', hidden: true } }); }

function errorText(error) {
  var text = (error && error.message) || 'Something went wrong.';
  if (error && error.advice) text += ' ' + error.advice;
  return text;
}
function showError(node, error) { node.textContent = errorText(error); node.hidden = false; }
function clearError(node) { node.textContent = ''; node.hidden = true; }

// Calls the admin API with the key; resolves with the JSON body, or rejects with an Error carrying
// the API's {error: {code, message, advice, field}}. A refused key sends the person back to the prompt.
async function api(method, path, body) {
  var headers = { 'x-functions-key': getKey() };
  var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  var response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch (e) {
    var offline = new Error('The function app could not be reached.');
    offline.advice = 'Check that it is running and that this computer is online, then try again.';
    throw offline;
  }
  var text = await response.text();
  var data = null;
  if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
  if (!response.ok) {
    var detail = (data && data.error) || {};
    var error = new Error(detail.message || 'The request failed (HTTP ' + response.status + ').');
    error.status = response.status;
    error.code = detail.code;
    error.advice = detail.advice;
    error.field = detail.field;
    if (response.status === 401) keyRefused();
    throw error;
  }
  return data;
}

function enc(value) { return encodeURIComponent(value); }

function fmtBytes(n) {
  n = Number(n) || 0;
  var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  var i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(n >= 100 ? 0 : 1)) + ' ' + units[i];
}

function fmtTime(iso) {
  if (!iso) return '';
  var d = new Date(iso);
  return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

// Runs an action for a button: disables it while pending and shows a failure in the error line.
async function busy(control, errorNode, action) {
  if (errorNode) clearError(errorNode);
  if (control) control.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (errorNode && error.status !== 401) showError(errorNode, error);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}
`;
