// Client script: live progress of a backup or restore run, polled from GET runs/{id} until it ends.
export const RUNS = String.raw`
function stopRunPoll() {
  if (state.runPoll) clearTimeout(state.runPoll);
  state.runPoll = null;
  state.runToken = null;
}

function watchRun(runId, title) {
  stopRunPoll();
  var section = $('run-section');
  section.hidden = false;
  // A new run starts unfinished: a status left from the previous run must never read as this one's.
  section.setAttribute('data-run-status', 'starting');
  section.setAttribute('data-run-id', runId);
  $('run-title').textContent = title;
  $('run-view').replaceChildren(h('p', { className: 'meta', text: 'Starting\u2026' }));
  clearError($('run-error'));
  $('run-title').setAttribute('tabindex', '-1');
  $('run-title').focus();
  var token = {};
  state.runToken = token;
  async function poll() {
    if (state.runToken !== token) return;
    var run;
    try {
      run = await api('GET', 'runs/' + enc(runId));
      clearError($('run-error'));
    } catch (error) {
      if (error.status === 401) return;
      showError($('run-error'), error);
    }
    if (state.runToken !== token) return;
    if (run) renderRun(run);
    if (run && FINAL[run.status]) {
      state.runPoll = null;
      refreshJobs();
      return;
    }
    state.runPoll = setTimeout(poll, 1000);
  }
  poll();
}

function throughput(run, t) {
  if (run.throughputBytesPerSecond) return run.throughputBytesPerSecond;
  var started = Date.parse(run.startedAt || run.createdAt);
  var ended = run.endedAt ? Date.parse(run.endedAt) : Date.now();
  var seconds = (ended - started) / 1000;
  return seconds > 0 ? (t.uploadedBytes || 0) / seconds : 0;
}

function renderRun(run) {
  var t = run.totals || {};
  var restore = run.kind === 'restore';
  // A restore's plan includes files it finds already identical (skipped); a backup plans only the
  // files it will upload, and counts unchanged ones beside the plan.
  var done = (t.uploadedFiles || 0) + (t.failedFiles || 0) + (restore ? t.skippedFiles || 0 : 0);
  var planned = t.plannedFiles || 0;
  var finished = Boolean(FINAL[run.status]);
  var bar = h('progress', { attrs: { max: String(Math.max(planned, 1)), value: String(finished && planned === 0 ? 1 : done), 'aria-label': 'Files done' } });
  var figures = [
    ['Status', h('span', { className: 'status-' + run.status, text: run.status, attrs: { 'data-field': 'run-status' } })],
    ['Files', h('span', { attrs: { 'data-field': 'run-files' }, text:
      done + ' of ' + planned + (restore ? ' restored' : ' uploaded') +
      (t.skippedFiles ? ', ' + t.skippedFiles + ' unchanged' : '') +
      (t.failedFiles ? ', ' + t.failedFiles + ' failed' : '') +
      (run.planningComplete === false && !finished ? ' (still listing)' : '') })],
    ['Bytes', fmtBytes(t.uploadedBytes) + ' of ' + fmtBytes(t.plannedBytes)],
    ['Throughput', fmtBytes(throughput(run, t)) + '/s'],
    ['Started', fmtTime(run.startedAt || run.createdAt)],
  ];
  if (run.endedAt) figures.push(['Ended', fmtTime(run.endedAt)]);
  if (run.snapshotFolder) figures.push(['Snapshot', run.snapshotFolder]);
  if (run.error) figures.push(['Problem', run.error]);
  var dl = h('dl', { className: 'figures' });
  figures.forEach(function (f) { dl.append(h('dt', { text: f[0] }), h('dd', {}, [f[1]])); });
  var nodes = [h('div', { className: 'progress' }, [bar]), dl];
  var failures = run.failures || [];
  if (failures.length) {
    nodes.push(h('h3', { text: 'Failed files' }));
    nodes.push(h('ul', { className: 'failures', attrs: { 'aria-label': 'Failed files' } }, failures.map(function (f) {
      return h('li', {}, [h('code', { text: f.file || f.blobName || '' }), ': ', f.reason || f.code || 'failed',
        f.attempts ? ' (' + plural(f.attempts, 'attempt') + ')' : '']);
    })));
  }
  $('run-view').replaceChildren.apply($('run-view'), nodes);
  $('run-section').setAttribute('data-run-id', run.id);
  $('run-section').setAttribute('data-run-status', run.status);
}
`;
