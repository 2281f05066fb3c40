// Slows guessing: after a few wrong passphrases for one profile, the next try must wait, and each further
// wrong one doubles the wait (up to a minute). In memory, per profile; a right passphrase clears it.
// Plain; the clock is injected so a test counts attempts per second without sleeping.

export const FREE_FAILURES = 3;
export const FIRST_DELAY_MS = 1000;
export const MAX_DELAY_MS = 60_000;

export class AttemptThrottle<K = number> {
  readonly #now: () => number;
  readonly #state = new Map<K, { failures: number; last: number }>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** How long until the next try for `key` is allowed (0: now). */
  waitMs(key: K): number {
    const state = this.#state.get(key);
    if (!state || state.failures < FREE_FAILURES) return 0;
    const delay = Math.min(FIRST_DELAY_MS * 2 ** (state.failures - FREE_FAILURES), MAX_DELAY_MS);
    return Math.max(0, state.last + delay - this.#now());
  }

  failed(key: K): void {
    const state = this.#state.get(key) ?? { failures: 0, last: 0 };
    this.#state.set(key, { failures: state.failures + 1, last: this.#now() });
  }

  succeeded(key: K): void {
    this.#state.delete(key);
  }
}
