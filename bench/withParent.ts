// A bench child process ends when the bench does: if the bench dies without stopping it (killed,
// or its console pipe closed), the child is re-parented and would otherwise keep serving, holding
// its memory and port, until someone finds it.
export function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 2000).unref();
}
