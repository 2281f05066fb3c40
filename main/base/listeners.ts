// A set of listeners: add() hands back the unsubscribe, emit() calls each one on a copy of the set (a
// listener may unsubscribe while called), and a listener that throws never stops the others: its error goes
// to `onError`, or without one, the first error is thrown from emit() once every listener has run.

export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  /** `onError` hears what a listener threw (log it). */
  constructor(private readonly onError?: (error: unknown) => void) {}

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(value: T): void {
    let thrown: { error: unknown } | undefined;
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (error) {
        if (this.onError) this.onError(error);
        else thrown ??= { error };
      }
    }
    if (thrown) throw thrown.error;
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}
