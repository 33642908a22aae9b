// Client script: the jobs list, the create/edit form with the schedule in plain words, Run now,
// recent runs and the restore form.
export const JOBS = String.raw`
var MIB = 1024 * 1024;
var jobCards = {};

async function refreshJobs() {
  try {
    var data = await api('GET', 'jobs');
    state.jobs = (data && data.jobs) || [];
    clearError($('jobs-error'));
  } catch (error) {
    if (error.status !== 401) showError($('jobs-error'), error);
    return;
  }
  renderJobs();
}

function fillConnectionSelect() {
  var select = $('job-connection');
  var chosen = select.value;
  select.replaceChildren.apply(select, state.connections.map(function (c) {
    return h('option', { text: c.name + ' (' + (CHIPS[c.status] || c.status) + ')', attrs: { value: c.id } });
  }));
  if (chosen && findConnection(chosen)) select.value = chosen;
}

// The plain-words description of a schedule, from the server (one parser for the app and the page).
async function describeSchedule(expression) {
  if (state.scheduleWords[expression]) return state.scheduleWords[expression];
  var result = await api('GET', 'ui/schedule?expression=' + enc(expression));
  state.scheduleWords[expression] = result;
  return result;
}

function renderJobs() {
  var list = $('job-list');
  if (state.jobs.length === 0) {
    list.replaceChildren(h('li', { className: 'meta', text: 'No backup jobs yet: create one below.' }));
    jobCards = {};
    return;
  }
  var seen = {};
  var nodes = state.jobs.map(function (j) {
    seen[j.id] = true;
    var card = jobCards[j.id] || (jobCards[j.id] = createJobCard(j.id));
    renderJobInfo(card, j);
    return card.root;
  });
  Object.keys(jobCards).forEach(function (id) { if (!seen[id]) delete jobCards[id]; });
  list.replaceChildren.apply(list, nodes);
}

function createJobCard(id) {
  var card = {
    id: id, info: h('div'), actions: h('div', { className: 'actions' }),
    error: errorLine(), panel: h('div', { className: 'panel', attrs: { hidden: true } }),
  };
  card.root = h('li', { className: 'card', attrs: { 'data-job-id': id } }, [card.info, card.actions, card.error, card.panel]);
  return card;
}

function retentionText(j) {
  var r = j.retention || {};
  var parts = [];
  if (r.keepLast) parts.push('keep last ' + r.keepLast);
  if (r.maxAgeDays) parts.push('at most ' + plural(r.maxAgeDays, 'day') + ' old');
  if (r.mirrorMaxAgeDays) parts.push('files at most ' + plural(r.mirrorMaxAgeDays, 'day') + ' old');
  return parts.length ? 'retention: ' + parts.join(', ') : 'kept indefinitely';
}

function renderJobInfo(card, j) {
  var connection = findConnection(j.connectionId);
  var root = connection ? connection.rootFolder || '/' : '';
  var destination = (root === '/' ? '' : root) + '/' + (j.destinationFolder || '');
  var words = h('span', { className: 'cron-words', attrs: { 'data-field': 'schedule-words' } });
  describeSchedule(j.schedule).then(function (r) { words.textContent = r.description; }, function () { words.textContent = ''; });
  card.root.setAttribute('aria-label', 'Job ' + j.name);
  card.info.replaceChildren(
    h('div', { className: 'card-head' }, [
      h('strong', { text: j.name }),
      h('span', { className: 'chip ' + (j.enabled ? 'chip-authorized' : 'chip-new'), text: j.enabled ? 'Enabled' : 'Disabled' }),
      j.activeRunId ? h('span', { className: 'chip chip-reauth-required', text: 'Running' }) : null,
    ]),
    h('p', { className: 'meta' }, [
      'From container ', h('code', { text: j.source.container + (j.source.prefix ? '/' + j.source.prefix : '') }),
      ' to ', h('code', { text: destination }),
      ' on ', connection ? connection.name : 'a missing connection',
    ]),
    h('p', { className: 'meta' }, ['Schedule ', h('code', { text: j.schedule }), words]),
    h('p', { className: 'meta', text: [
      j.mode === 'snapshot' ? 'snapshot mode' : 'mirror mode' + (j.propagateDeletes ? ', deletions propagated' : ''),
      'chunk size ' + fmtBytes(j.chunkSizeBytes), retentionText(j),
    ].join(' \u00b7 ') }),
  );
  card.actions.replaceChildren(
    button('Run now', function (event) { runNow(card, j, event.currentTarget); }, { 'aria-label': 'Run ' + j.name + ' now' }),
    button('Edit', function () { editJob(j); }, { 'aria-label': 'Edit ' + j.name }),
    button('Restore', function () { openRestore(card, j); }, { 'aria-label': 'Restore ' + j.name }),
    button('Recent runs', function (event) { openRuns(card, j, event.currentTarget); }, { 'aria-label': 'Recent runs of ' + j.name }),
    button('Delete', function (event) { deleteJob(card, j, event.currentTarget); }, { 'aria-label': 'Delete job ' + j.name }),
  );
}

async function runNow(card, j, control) {
  var run = await busy(control, card.error, function () { return api('POST', 'jobs/' + enc(j.id) + '/run'); });
  if (!run) return;
  watchRun(run.id || run.runId, 'Backup: ' + j.name);
  refreshJobs();
}

async function openRuns(card, j, control) {
  var data = await busy(control, card.error, function () { return api('GET', 'jobs/' + enc(j.id) + '/runs'); });
  if (!data) return;
  var runs = data.runs || [];
  card.panel.replaceChildren(h('h3', { text: 'Recent runs', attrs: { tabindex: '-1' } }), runs.length
    ? h('ul', { className: 'list', attrs: { 'aria-label': 'Recent runs' } }, runs.slice(0, 20).map(function (r) {
        return h('li', {}, [
          h('span', {}, [fmtTime(r.startedAt || r.createdAt) + ' \u00b7 ' + (r.kind || 'backup') + ' \u00b7 ',
            h('span', { className: 'status-' + r.status, text: r.status })]),
          button('Show', function () { watchRun(r.id, (r.kind === 'restore' ? 'Restore: ' : 'Backup: ') + j.name); }),
        ]);
      }))
    : h('p', { className: 'meta', text: 'No runs yet.' }));
  card.panel.hidden = false;
  card.panel.firstChild.focus();
}

function openRestore(card, j) {
  var ids = { container: 'restore-container-' + j.id, prefix: 'restore-prefix-' + j.id, policy: 'restore-policy-' + j.id, snapshot: 'restore-snapshot-' + j.id };
  var container = h('input', { attrs: { id: ids.container, required: true, value: j.source.container + '-restored' } });
  var prefix = h('input', { attrs: { id: ids.prefix } });
  var snapshot = h('input', { attrs: { id: ids.snapshot, placeholder: j.mode === 'snapshot' ? 'latest' : '' } });
  var policy = h('select', { attrs: { id: ids.policy } }, [
    // The API's policies; stopping on an existing file is its default and the safest choice.
    h('option', { text: 'Stop if a file already exists', attrs: { value: 'fail-if-exists' } }),
    h('option', { text: 'Skip files that already exist', attrs: { value: 'skip-existing' } }),
    h('option', { text: 'Overwrite existing files', attrs: { value: 'overwrite' } }),
  ]);
  var form = h('form', { on: { submit: async function (event) {
    event.preventDefault();
    var body = { targetContainer: container.value.trim(), overwrite: policy.value };
    if (prefix.value.trim()) body.prefix = prefix.value.trim();
    if (snapshot.value.trim()) body.snapshot = snapshot.value.trim();
    var run = await busy(form.querySelector('button[type=submit]'), card.error, function () {
      return api('POST', 'jobs/' + enc(j.id) + '/restore', body);
    });
    if (run) watchRun(run.id || run.runId, 'Restore: ' + j.name + ' into ' + body.targetContainer);
  } } }, [
    h('div', { className: 'grid' }, [
      h('div', {}, [h('label', { text: 'Target container', attrs: { for: ids.container } }), container]),
      h('div', {}, [h('label', { text: 'Only paths starting with (optional)', attrs: { for: ids.prefix } }), prefix]),
      h('div', {}, [h('label', { text: j.mode === 'snapshot' ? 'Snapshot folder (empty: latest)' : 'Point in time (optional, ISO date)', attrs: { for: ids.snapshot } }), snapshot]),
      h('div', {}, [h('label', { text: 'When a file exists', attrs: { for: ids.policy } }), policy]),
    ]),
    h('div', { className: 'actions' }, [h('button', { className: 'primary', text: 'Start restore', attrs: { type: 'submit' } })]),
  ]);
  card.panel.replaceChildren(h('h3', { text: 'Restore into a container', attrs: { tabindex: '-1' } }), form);
  card.panel.hidden = false;
  container.focus();
}

async function deleteJob(card, j, control) {
  if (!window.confirm('Delete the job "' + j.name + '"? Its backups in OneDrive stay there.')) return;
  var done = await busy(control, card.error, async function () { await api('DELETE', 'jobs/' + enc(j.id)); return true; });
  if (done) refreshJobs();
}

function editJob(j) {
  $('job-id').value = j.id;
  $('job-name').value = j.name;
  $('job-connection').value = j.connectionId;
  $('job-container').value = j.source.container;
  $('job-prefix').value = j.source.prefix || '';
  $('job-destination').value = j.destinationFolder || '';
  $('job-schedule').value = j.schedule;
  $('job-mode').value = j.mode;
  $('job-chunk').value = String(j.chunkSizeBytes / MIB);
  var r = j.retention || {};
  $('job-keep-last').value = r.keepLast || '';
  $('job-max-age').value = (j.mode === 'mirror' ? r.mirrorMaxAgeDays : r.maxAgeDays) || '';
  $('job-propagate').checked = Boolean(j.propagateDeletes);
  $('job-hard-delete').checked = Boolean(j.hardDelete);
  $('job-enabled').checked = j.enabled !== false;
  $('job-editor-title').textContent = 'Edit job ' + j.name;
  $('job-save').textContent = 'Save job';
  $('job-editor').open = true;
  updateScheduleWords();
  $('job-name').focus();
}

function resetJobForm() {
  $('job-form').reset();
  $('job-id').value = '';
  $('job-editor-title').textContent = 'Create a job';
  $('job-save').textContent = 'Create job';
  updateScheduleWords();
}

var scheduleTimer = null;
function updateScheduleWords() {
  var words = $('job-schedule-words');
  var expression = $('job-schedule').value.trim();
  clearTimeout(scheduleTimer);
  // Described after a short pause in typing, not on every key stroke.
  scheduleTimer = setTimeout(async function () {
    if (!expression) { words.textContent = ''; return; }
    try {
      var r = await describeSchedule(expression);
      if ($('job-schedule').value.trim() === expression) { words.textContent = r.description; words.className = 'cron-words'; }
    } catch (error) {
      if ($('job-schedule').value.trim() === expression) { words.textContent = errorText(error); words.className = 'cron-words error'; }
    }
  }, 250);
}

function jobBody() {
  var value = function (id) { return $(id).value.trim(); };
  var number = function (id) { var v = value(id); return v === '' ? undefined : Number(v); };
  var mode = value('job-mode');
  var chunk = number('job-chunk');
  var retention = mode === 'snapshot'
    ? { keepLast: number('job-keep-last'), maxAgeDays: number('job-max-age') }
    : { mirrorMaxAgeDays: number('job-max-age') };
  var body = {
    name: value('job-name'),
    connectionId: value('job-connection'),
    source: { container: value('job-container'), prefix: value('job-prefix') },
    destinationFolder: value('job-destination'),
    schedule: value('job-schedule'),
    mode: mode,
    retention: retention,
    propagateDeletes: mode === 'mirror' && $('job-propagate').checked,
    hardDelete: $('job-hard-delete').checked,
    enabled: $('job-enabled').checked,
  };
  if (chunk !== undefined) body.chunkSizeBytes = Math.round(chunk * MIB);
  return body;
}

function bindJobForm() {
  $('job-schedule').addEventListener('input', updateScheduleWords);
  $('job-cancel').addEventListener('click', function () { resetJobForm(); $('job-editor').open = false; });
  $('job-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var id = $('job-id').value;
    var body = jobBody();
    var saved = await busy($('job-save'), $('job-form-error'), function () {
      return id ? api('PATCH', 'jobs/' + enc(id), body) : api('POST', 'jobs', body);
    });
    if (!saved) return;
    resetJobForm();
    $('job-editor').open = false;
    await refreshJobs();
    var card = jobCards[saved.id];
    if (card) card.actions.querySelector('button').focus();
  });
  updateScheduleWords();
}
`;
