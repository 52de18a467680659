/**
 * Start times of the logins in progress on this instance, for the login duration metric. Bounded: an abandoned
 * login (a closed tab, a bot) never finishes, so an unbounded map would grow for the life of the process; when
 * full, the oldest start goes first (a login that old has long expired). A login that began on another instance
 * has no start here and is not timed.
 */
export class LoginTimer {
  readonly #starts = new Map<string, number>();
  readonly #now: () => number;
  readonly max: number;

  constructor(now: () => number, max = 10_000) {
    this.#now = now;
    this.max = max;
  }

  /** Records the first time `uid` was seen; later calls keep it. */
  start(uid: string): void {
    if (this.#starts.has(uid)) return;
    if (this.#starts.size >= this.max) this.#starts.delete(this.#starts.keys().next().value as string);
    this.#starts.set(uid, this.#now());
  }

  /** Seconds since `uid` started, once: the start is forgotten. Undefined if it was never started here. */
  finish(uid: string): number | undefined {
    const t0 = this.#starts.get(uid);
    if (t0 === undefined) return undefined;
    this.#starts.delete(uid);
    return (this.#now() - t0) / 1000;
  }

  get size(): number {
    return this.#starts.size;
  }
}
