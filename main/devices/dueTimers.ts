// One clock timer per due time, shared by every member due then: when a snapshot changes hundreds of
// devices at once (an adb server restart, a hub losing power), their commits run in ONE pass and one
// flush, not one pass and one full-list flush per device (which made a storm O(n²)). Plain Node.
import type { Clock } from './types';

export class DueTimers<T> {
  private readonly buckets = new Map<number, { handle: unknown; members: Set<T> }>();

  /** `onDue` gets every member due at one time, in the order they were scheduled. */
  constructor(
    private readonly clock: Clock,
    private readonly onDue: (members: Set<T>) => void,
  ) {}

  /** `member` is due at `due` (monotonic ms; `now` is the current monotonic time). */
  schedule(due: number, now: number, member: T): void {
    let bucket = this.buckets.get(due);
    if (!bucket) {
      const members = new Set<T>();
      const handle = this.clock.setTimeout(() => {
        this.buckets.delete(due);
        this.onDue(members);
      }, due - now);
      bucket = { handle, members };
      this.buckets.set(due, bucket);
    }
    bucket.members.add(member);
  }

  /** `member` is no longer due at `due`; the timer goes with its last member. */
  cancel(member: T, due: number): void {
    const bucket = this.buckets.get(due);
    if (!bucket) return;
    bucket.members.delete(member);
    if (bucket.members.size === 0) {
      this.clock.clearTimeout(bucket.handle);
      this.buckets.delete(due);
    }
  }
}
