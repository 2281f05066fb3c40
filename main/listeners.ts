// A set of listeners: add() hands back the unsubscribe, emit() calls each one on a copy of the set (a
// listener may unsubscribe while called), and a listener that throws is reported and never stops the others.

export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  /** `onError` hears what a listener threw (log it); without it a throw is swallowed. */
  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}
