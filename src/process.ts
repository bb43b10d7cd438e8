/** What this program asks of the operating system about processes. */

/**
 * True only when no process with this pid exists on this host: signal 0 to it fails with ESRCH.
 * This process, a process that exists (EPERM: another user's) and a pid reused by an unrelated
 * process all count as alive.
 */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
