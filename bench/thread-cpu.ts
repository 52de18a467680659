import { readFileSync } from 'node:fs';

/** CPU time of the calling thread in ms, from /proc/thread-self/stat (utime + stime, USER_HZ 100); Linux only. */
export function threadCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]?.split(' ');
    const ticks = Number(fields?.[11]) + Number(fields?.[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}
