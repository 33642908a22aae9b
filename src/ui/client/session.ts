// The function-key prompt, the secret status line, and start-up.
import { api, clearKey, getKey, isKeyRefusal, onKeyRefused, setKey } from './api';
import { bindConnectionForm, refreshConnections } from './connections';
import { $, clearError, fmtTime, h, inputValue, plural, showError } from './core';
import { bindJobForm } from './jobForm';
import { refreshJobs } from './jobs';
import { startRefresh, stopRefresh } from './refresh';
import { stopRunPoll } from './runs';
import type { CredentialStatus, SecretStatus, StatusView } from './types';

function showKeyPrompt(message?: string): void {
  $('app').hidden = true;
  $('key-section').hidden = false;
  $('forget-key').hidden = true;
  $('key-state').textContent = '';
  if (message) showError($('key-error'), { message });
  $('key-input').focus();
}

// Where the key in use came from: the refusal reads differently for a key the person just typed
// and for one kept from an earlier visit or a link (the app may have a new key since).
let keySource: 'typed' | 'address' | 'kept' = 'kept';
const WHERE_KEYS_ARE = '(Azure portal: Function App, App keys; locally: printed by npm start)';

function keyRefused(): void {
  clearKey();
  stopRunPoll();
  stopRefresh();
  showKeyPrompt(
    keySource === 'typed'
      ? 'The function key was refused. Enter the key of this function app ' + WHERE_KEYS_ARE + '.'
      : 'The key ' +
          (keySource === 'address' ? 'in the link' : 'kept from your last visit') +
          ' is no longer accepted; the app may have a new key. Enter its current key ' +
          WHERE_KEYS_ARE +
          '.',
  );
}

function forgetKey(): void {
  clearKey();
  stopRunPoll();
  stopRefresh();
  clearError($('key-error'));
  showKeyPrompt();
}

function secretText(secret: SecretStatus): string {
  if (secret.error) return 'Client secret: could not be read (' + secret.error.message + ').';
  if (secret.state === 'missing')
    return 'Client secret: not stored yet. Store it with its expiry date (CLI: secret set).';
  if (secret.daysLeft === undefined || secret.daysLeft === null)
    return 'Client secret: expiry date unknown. Store it again with its expiry so you are warned in time.';
  if (secret.daysLeft < 0)
    return (
      'Client secret: expired on ' +
      fmtTime(secret.expiresOn) +
      '. Backups cannot sign in until a new secret is stored.'
    );
  return (
    'Client secret: ' + plural(secret.daysLeft, 'day') + ' left (expires ' + fmtTime(secret.expiresOn) + ').'
  );
}

/** The certificate's or federation's health, for a deployment that uses no client secret. */
function credentialText(c: CredentialStatus): string {
  const refused = c.lastRefusal?.code
    ? ' Last refused (' + c.lastRefusal.code + '): ' + (c.lastRefusal.reason ?? '') + '.'
    : '';
  if (c.error) return 'Credential: could not be read (' + c.error.message + ').';
  if (c.kind === 'federated')
    return 'Credential: federated (managed identity): nothing to renew, nothing expires.' + refused;
  if (c.state === 'missing')
    return "Credential: certificate '" + (c.certificateName ?? '') + "' is not in Key Vault." + refused;
  return (
    "Credential: certificate '" +
    (c.certificateName ?? '') +
    "' (" +
    (c.thumbprint ?? '') +
    '): ' +
    plural(c.daysLeft ?? 0, 'day') +
    ' left (expires ' +
    fmtTime(c.expiresOn) +
    ')' +
    (c.accepted ? '' : ', not yet accepted by Microsoft') +
    (c.renewedThumbprint ? '; renewed certificate ' + c.renewedThumbprint + ' not yet uploaded' : '') +
    '.' +
    refused
  );
}

export async function loadStatus(): Promise<void> {
  const line = $('secret-status');
  const list = $('reauth-list');
  clearError($('status-error'));
  let status: StatusView;
  try {
    status = await api<StatusView>('GET', 'status');
  } catch (error) {
    line.textContent = 'Status unavailable.';
    if (!isKeyRefusal(error)) showError($('status-error'), error);
    return;
  }
  const credential = status.credential;
  if (credential?.kind && credential.kind !== 'secret') {
    line.textContent = credentialText(credential);
    line.className = credential.lastRefusal?.code || credential.renewedThumbprint ? 'reason' : '';
  } else {
    const secret = status.clientSecret || {};
    line.textContent = secretText(secret);
    line.className = secret.severity && secret.severity !== 'info' ? 'reason' : '';
  }
  list.replaceChildren();
  const reauth = status.connectionsNeedingReauthorization;
  (Array.isArray(reauth) ? reauth : []).forEach((c) => {
    list.append(
      h('li', { className: 'reason' }, [
        h('strong', { text: c.name }),
        ' needs re-authorization',
        c.reason ? ': ' + c.reason : '',
        c.advice ? ' ' + c.advice : '',
      ]),
    );
  });
}

async function start(): Promise<void> {
  $('key-section').hidden = true;
  $('app').hidden = false;
  $('forget-key').hidden = false;
  $('key-state').textContent = 'Key kept for this tab only';
  await refreshAll();
  startRefresh(refreshAll);
}

function refreshAll(): Promise<unknown> {
  return Promise.all([loadStatus(), refreshConnections().then(refreshJobs)]);
}

// npm start prints the page's address with ?code=<key>: take the key, then drop it from the address bar.
function takeKeyFromAddress(): void {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('code');
  if (!fromUrl) return;
  setKey(fromUrl);
  keySource = 'address';
  params.delete('code');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
}

export function boot(): void {
  onKeyRefused(keyRefused);
  takeKeyFromAddress();
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = inputValue('key-input');
    if (!value) return;
    setKey(value);
    keySource = 'typed';
    $<HTMLInputElement>('key-input').value = '';
    clearError($('key-error'));
    start();
  });
  $('forget-key').addEventListener('click', forgetKey);
  // A refusal is about the key that was tried, not the one being typed now.
  $('key-input').addEventListener('input', () => clearError($('key-error')));
  bindConnectionForm();
  bindJobForm();
  window.addEventListener('focus', () => {
    // Coming back from the sign-in tab: show the new status at once.
    if (getKey() && !$('app').hidden) refreshConnections();
  });
  if (getKey()) start();
  else showKeyPrompt();
}
