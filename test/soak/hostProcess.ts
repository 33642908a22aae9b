// The local host as the soak runs it: a separate process (so it can be SIGKILLed mid-upload while
// Azurite and the emulators, living in the soak's own process, keep their state) serving the whole
// function table with queue timings short enough that a killed host's leases expire in seconds (in
// Azure a crashed invocation's message waits out the Functions host's 10-minute lease). Settings
// come from the environment the soak passes.
import { startLocalHost } from '../../src/local/host';

async function main(): Promise<void> {
  const env = process.env;
  const host = await startLocalHost({
    env,
    port: Number(env.LOCAL_HOST_PORT),
    embedded: false,
    queue: {
      // A failed delivery is visible again after 1 s (host.json: 30 s), so five attempts fit a soak.
      retryDelayMs: Number(env.SOAK_RETRY_DELAY_MS ?? 1000),
      minPollingIntervalMs: 50,
      maxPollingIntervalMs: 500,
      // A killed host's messages come back when their lease ends: 8 s (the local host's 10 s, a
      // little shorter), renewed every third.
      leaseSeconds: Number(env.SOAK_LEASE_SECONDS ?? 8),
      stopGraceMs: 2000,
    },
  });
  // The parent waits for this line instead of polling the port.
  console.log(`SOAK-HOST-READY ${host.url}`);
  const stop = (): void => void host.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('SOAK-HOST-FAILED', error);
    process.exit(1);
  });
}
