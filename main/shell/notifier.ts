// OS notifications, rate-limited: a storm of events makes one summary, not fifty. Plain Node; the
// composition root passes the function that shows a notification (Electron's Notification).
export type NotificationKind = 'deviceOffline' | 'deviceUnplugged' | 'webhookPaused' | 'deliveryFailed' | 'deviceBattery';

interface NotifierOptions {
  show: (title: string, body: string) => void;
  enabled: (kind: NotificationKind) => boolean;
  /** Within this window, at most `burst` notifications are shown one by one; the rest are summarised. */
  windowMs?: number;
  burst?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

const TITLES: Record<NotificationKind, [one: string, many: (n: number) => string]> = {
  deviceOffline: ['Device offline', (n) => `${n} devices went offline`],
  deviceUnplugged: ['Device unplugged', (n) => `${n} devices were unplugged`],
  webhookPaused: ['Webhook paused', (n) => `${n} webhooks paused`],
  deliveryFailed: ['Callback failed', (n) => `${n} callbacks failed`],
  deviceBattery: ['Device battery', (n) => `${n} device batteries need attention`],
};

export class Notifier {
  private shownInWindow = 0;
  private windowTimer: unknown = null;
  private held = new Map<NotificationKind, string[]>();
  private readonly windowMs: number;
  private readonly burst: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: NotifierOptions) {
    this.windowMs = options.windowMs ?? 10_000;
    this.burst = options.burst ?? 3;
    this.setTimer = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.clearTimer = options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  notify(kind: NotificationKind, body: string): void {
    if (!this.options.enabled(kind)) return;
    if (this.windowTimer === null) this.windowTimer = this.setTimer(() => this.endWindow(), this.windowMs);
    if (this.shownInWindow < this.burst) {
      this.shownInWindow++;
      this.options.show(TITLES[kind][0], body);
      return;
    }
    const list = this.held.get(kind) ?? [];
    list.push(body);
    this.held.set(kind, list);
  }

  /** Shows what was held back as one summary per kind, then opens a fresh window. */
  private endWindow(): void {
    this.windowTimer = null;
    this.shownInWindow = 0;
    const held = this.held;
    this.held = new Map();
    for (const [kind, bodies] of held) {
      const first = bodies.slice(0, 3).join('; ');
      const more = bodies.length > 3 ? ` and ${bodies.length - 3} more` : '';
      this.options.show(bodies.length === 1 ? TITLES[kind][0] : TITLES[kind][1](bodies.length), `${first}${more}`);
    }
  }

  dispose(): void {
    if (this.windowTimer !== null) this.clearTimer(this.windowTimer);
    this.windowTimer = null;
  }
}
