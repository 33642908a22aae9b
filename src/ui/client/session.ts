// Client script: the function-key prompt, the secret status line, and start-up.
export const SESSION = String.raw`
function showKeyPrompt(message) {
  $('app').hidden = true;
  $('key-section').hidden = false;
  $('forget-key').hidden = true;
  $('key-state').textContent = '';
  if (message) showError($('key-error'), { message: message });
  $('key-input').focus();
}

function keyRefused() {
  clearKey();
  stopRunPoll();
  showKeyPrompt('The function key was refused. Enter the key of this function app (Azure portal: Function App, App keys; locally: printed by npm start).');
}

function forgetKey() {
  clearKey();
  stopRunPoll();
  clearError($('key-error'));
  showKeyPrompt();
}

async function loadStatus() {
  var line = $('secret-status');
  var list = $('reauth-list');
  clearError($('status-error'));
  var status;
  try {
    status = await api('GET', 'status');
  } catch (error) {
    line.textContent = 'Status unavailable.';
    if (error.status !== 401) showError($('status-error'), error);
    return;
  }
  var secret = status.clientSecret || {};
  if (secret.error) {
    line.textContent = 'Client secret: could not be read (' + secret.error.message + ').';
  } else if (secret.state === 'missing') {
    line.textContent = 'Client secret: not stored yet. Store it with its expiry date (CLI: secret set).';
  } else if (secret.daysLeft === undefined || secret.daysLeft === null) {
    line.textContent = 'Client secret: expiry date unknown. Store it again with its expiry so you are warned in time.';
  } else if (secret.daysLeft < 0) {
    line.textContent = 'Client secret: expired on ' + fmtTime(secret.expiresOn) + '. Backups cannot sign in until a new secret is stored.';
  } else {
    line.textContent = 'Client secret: ' + plural(secret.daysLeft, 'day') + ' left (expires ' + fmtTime(secret.expiresOn) + ').';
  }
  line.className = secret.severity && secret.severity !== 'info' ? 'reason' : '';
  list.replaceChildren();
  var reauth = Array.isArray(status.connectionsNeedingReauthorization) ? status.connectionsNeedingReauthorization : [];
  reauth.forEach(function (c) {
    list.append(h('li', { className: 'reason' }, [
      h('strong', { text: c.name }), ' needs re-authorization',
      c.reason ? ': ' + c.reason : '', c.advice ? ' ' + c.advice : '',
    ]));
  });
}

async function start() {
  $('key-section').hidden = true;
  $('app').hidden = false;
  $('forget-key').hidden = false;
  $('key-state').textContent = 'Key kept for this tab only';
  await Promise.all([loadStatus(), refreshConnections(), refreshJobs()]);
}

function boot() {
  // npm start prints the page's address with ?code=<key>: take the key, then drop it from the address bar.
  var params = new URLSearchParams(location.search);
  var fromUrl = params.get('code');
  if (fromUrl) {
    setKey(fromUrl);
    params.delete('code');
    var rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }
  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('key-input').value.trim();
    if (!value) return;
    setKey(value);
    $('key-input').value = '';
    clearError($('key-error'));
    start();
  });
  $('forget-key').addEventListener('click', forgetKey);
  bindConnectionForm();
  bindJobForm();
  window.addEventListener('focus', function () {
    // Coming back from the sign-in tab: show the new status at once.
    if (getKey() && !$('app').hidden) refreshConnections();
  });
  if (getKey()) start(); else showKeyPrompt();
}

boot();
`;
