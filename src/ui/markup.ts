// The setup page's static markup: every section and form with its labels. It contains no data;
// the script fills it from the admin API with textContent only.
const CLOUDS = [
  ['global', 'Global (microsoft.com)'],
  ['usgov', 'US Government (GCC High)'],
  ['usgov-dod', 'US Government DoD'],
  ['china', 'China (21Vianet)'],
];
const DRIVE_TYPES = [
  ['personal', 'Personal OneDrive'],
  ['business', 'OneDrive for work or school'],
  ['sharepoint', 'SharePoint document library'],
];

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'].map((day, i) => [
  String(i),
  day,
]);
// Multiples of 320 KiB under 60 MiB, as upload sessions require; bigger pieces mean fewer requests,
// smaller ones less to send again after a failure.
const MIB = 1024 * 1024;
const CHUNK_SIZES = [1.25, 2.5, 5, 10, 20, 40, 50].map((mib) => [String(mib * MIB), mib + ' MiB']);

function options(pairs: string[][]): string {
  return pairs.map(([value, text]) => `<option value="${value}">${text}</option>`).join('');
}

export const BODY = `
<header>
  <h1>Azure Blob &rarr; OneDrive backup</h1>
  <span id="key-state" class="hint"></span>
  <button type="button" id="forget-key" hidden>Forget key</button>
</header>
<main>
  <section id="key-section" aria-labelledby="key-title">
    <h2 id="key-title">Function key</h2>
    <p class="hint">The admin API needs the function app's key. It is kept in this browser tab only (session storage) and sent in the x-functions-key header.</p>
    <form id="key-form">
      <label for="key-input">Function key</label>
      <input id="key-input" type="password" autocomplete="off" required>
      <div class="actions"><button class="primary" type="submit">Use key</button></div>
    </form>
    <p id="key-error" class="error" role="alert" hidden></p>
  </section>

  <div id="app" hidden>
    <section id="status-section" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      <p id="secret-status" aria-live="polite">Loading&hellip;</p>
      <ul id="reauth-list" class="cards"></ul>
      <p id="status-error" class="error" role="alert" hidden></p>
    </section>

    <section id="connections-section" aria-labelledby="connections-title">
      <h2 id="connections-title">Connections (OneDrive destinations)</h2>
      <ul id="connection-list" class="cards" aria-live="polite"></ul>
      <p id="connections-error" class="error" role="alert" hidden></p>
      <details id="add-connection">
        <summary>Add a connection</summary>
        <form id="connection-form">
          <div class="grid">
            <div><label for="conn-name">Name</label><input id="conn-name" name="name" required maxlength="100"></div>
            <div><label for="conn-cloud">Cloud</label><select id="conn-cloud" name="cloud">${options(CLOUDS)}</select></div>
            <div><label for="conn-tenant">Tenant <span class="hint">(common, consumers, organizations or a tenant id)</span></label>
              <input id="conn-tenant" name="tenant" value="common"></div>
            <div><label for="conn-drive-type">Drive type</label><select id="conn-drive-type" name="driveType">${options(DRIVE_TYPES)}</select></div>
            <div><label for="conn-root">Backup folder <span class="hint">(can be picked later)</span></label><input id="conn-root" name="rootFolder" value="/Backups"></div>
            <div><label for="conn-client-id">Own app client ID <span class="hint">(optional)</span></label><input id="conn-client-id" name="clientId" autocomplete="off"></div>
            <div><label for="conn-client-secret">Own app client secret <span class="hint">(with your own app only)</span></label><input id="conn-client-secret" name="clientSecret" type="password" autocomplete="off"></div>
          </div>
          <div class="actions"><button class="primary" type="submit">Add connection</button></div>
          <p id="connection-form-error" class="error" role="alert" hidden></p>
        </form>
      </details>
    </section>

    <section id="jobs-section" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Backup jobs</h2>
      <ul id="job-list" class="cards" aria-live="polite"></ul>
      <p id="jobs-error" class="error" role="alert" hidden></p>
      <details id="job-editor">
        <summary id="job-editor-title">Create a job</summary>
        <form id="job-form" novalidate>
          <input type="hidden" id="job-id">
          <div class="grid">
            <div><label for="job-name">Name</label><input id="job-name" required maxlength="200"></div>
            <div><label for="job-connection">Connection</label><select id="job-connection" required></select></div>
            <div id="job-container-field"><label for="job-container">Source container</label><select id="job-container" required></select></div>
            <div><label for="job-prefix">Source prefix <span class="hint">(optional: only blobs whose names start with it)</span></label><input id="job-prefix"></div>
            <div><label for="job-destination">Destination folder <span class="hint">(inside the connection's backup folder)</span></label><input id="job-destination"></div>
            <div><label for="job-mode">Mode</label><select id="job-mode">
              <option value="mirror">Mirror (incremental, same paths)</option>
              <option value="snapshot">Snapshot (a dated folder per run)</option></select></div>
            <div data-mode="mirror"><label for="job-trigger">Backs up <span class="hint">(blob events copy each file seconds after it is written)</span></label><select id="job-trigger">
              <option value="">Server default</option>
              <option value="both">On blob events, and on the schedule as a safety net</option>
              <option value="events">On blob events only</option>
              <option value="schedule">On the schedule only</option></select></div>
            <div data-mode="snapshot"><label for="job-keep-last">Keep last N snapshots <span class="hint">(optional)</span></label><input id="job-keep-last" type="number" min="1" step="1"></div>
            <div><label for="job-max-age"><span data-mode="snapshot">Delete snapshots older than (days)</span><span data-mode="mirror">Delete backed-up files older than (days)</span> <span class="hint">(optional)</span></label><input id="job-max-age" type="number" min="1" step="1"></div>
          </div>
          <div class="schedule-row">
            <div><label for="job-schedule-preset">Schedule</label><select id="job-schedule-preset">
              <option value="hourly">Every hour</option>
              <option value="daily">Every day at</option>
              <option value="weekly">Every week on</option>
              <option value="custom">Custom (cron)</option></select></div>
            <div data-preset="weekly"><label for="job-schedule-day">Day</label><select id="job-schedule-day">${options(DAYS)}</select></div>
            <div data-preset="daily weekly"><label for="job-schedule-time">Time (UTC)</label><input id="job-schedule-time" type="time" value="02:00"></div>
            <div data-preset="hourly"><label for="job-schedule-minute">Minute past the hour</label><input id="job-schedule-minute" type="number" min="0" max="59" step="1" value="0"></div>
            <div class="cron-field"><label for="job-schedule">Cron expression <span class="hint">(6-field NCRONTAB, UTC: second minute hour day month day-of-week)</span></label>
              <input id="job-schedule" value="0 0 2 * * *" required aria-describedby="job-schedule-words" class="mono"></div>
          </div>
          <p id="job-schedule-words" class="cron-words" aria-live="polite"></p>
          <label class="check" data-mode="mirror"><input type="checkbox" id="job-propagate"> Propagate deletions to the OneDrive recycle bin</label>
          <label class="check" data-mode="mirror"><input type="checkbox" id="job-hard-delete"> Delete permanently instead of to the recycle bin</label>
          <fieldset class="encryption" id="job-encryption-fields"><legend>Encryption</legend>
            <div><label for="job-encryption">Encrypt before upload <span class="hint">(rclone crypt: OneDrive sees only ciphertext; rclone can read it back)</span></label><select id="job-encryption">
              <option value="off">Off</option>
              <option value="rclone-crypt">rclone crypt</option></select></div>
            <div data-encryption="rclone-crypt"><label for="job-filename-encryption">File names</label><select id="job-filename-encryption">
              <option value="standard">Encrypted (standard)</option>
              <option value="obfuscate">Obfuscated</option>
              <option value="off">Kept (files get .bin)</option></select></div>
            <label class="check" data-encryption="rclone-crypt"><input type="checkbox" id="job-directory-encryption" checked> Encrypt folder names too</label>
            <p class="warning" data-encryption="rclone-crypt" id="job-encryption-warning" role="note">Strong passwords are generated and kept in your Key Vault. <strong>Without them the backup is lost</strong>: after creating the job, use <em>Show encryption keys</em> on its card and keep them outside Azure. Encryption cannot be changed once the job exists.</p>
          </fieldset>
          <label class="check"><input type="checkbox" id="job-enabled" checked> Enabled (runs on its schedule)</label>
          <details class="advanced" id="job-advanced"><summary>Advanced</summary>
            <div><label for="job-chunk">Upload chunk size <span class="hint">(large files are sent in pieces of this size)</span></label><select id="job-chunk">
              <option value="">Server default</option>${options(CHUNK_SIZES)}</select></div>
          </details>
          <div class="actions">
            <button class="primary" type="submit" id="job-save">Create job</button>
            <button type="button" id="job-cancel">Cancel</button>
          </div>
          <p id="job-form-error" class="error" role="alert" hidden></p>
        </form>
      </details>
    </section>

    <section id="run-section" class="run-box" aria-labelledby="run-title" hidden>
      <h3 id="run-title">Run</h3>
      <div id="run-view"></div>
      <p id="run-error" class="error" role="alert" hidden></p>
    </section>
  </div>
</main>
`;
