// Keeps the page current without a reload: the status, connections and jobs (with their recent
// runs, including runs started elsewhere) every 15 seconds while the tab is visible. A hidden tab
// asks nothing; coming back refreshes at once.
export const REFRESH_MS = 15_000;

let timer: number | undefined;
let refresh: (() => Promise<unknown>) | undefined;
let running = false;

async function tick(): Promise<void> {
  window.clearTimeout(timer);
  timer = undefined;
  const action = refresh;
  if (!action || document.visibilityState !== 'visible') return;
  if (!running) {
    running = true;
    try {
      await action();
    } finally {
      running = false;
    }
  }
  // Stopped or restarted meanwhile: that call has set its own timer, or none.
  if (refresh === action && timer === undefined) timer = window.setTimeout(tick, REFRESH_MS);
}

function onVisibility(): void {
  if (document.visibilityState === 'visible') tick();
  else {
    window.clearTimeout(timer);
    timer = undefined;
  }
}

/** Starts refreshing with `action` (the first refresh comes after one interval). */
export function startRefresh(action: () => Promise<unknown>): void {
  stopRefresh();
  refresh = action;
  document.addEventListener('visibilitychange', onVisibility);
  timer = window.setTimeout(tick, REFRESH_MS);
}

export function stopRefresh(): void {
  refresh = undefined;
  window.clearTimeout(timer);
  timer = undefined;
  document.removeEventListener('visibilitychange', onVisibility);
}
