import { describe, expect, it } from 'vitest';
import { SecretWait } from '../../main/services/secretWait';
import { ManualClock } from '../support/delivery';

describe('SecretWait', () => {
  it('says once that a webhook waits, looks again every 30 s, and wakes the dispatcher when it can send', () => {
    const clock = new ManualClock();
    let list: { id: number; name: string; unavailable?: string }[] = [
      { id: 1, name: 'Locked', unavailable: 'The OS keyring is not available now.' },
      { id: 2, name: 'Fine' },
    ];
    const notices: [string, string][] = [];
    let refreshes = 0;
    let changes = 0;
    const wait = new SecretWait({ list: () => list, refresh: () => void refreshes++, notice: (level, message) => notices.push([level, message]), clock });
    wait.onChange(() => changes++);
    wait.start();
    expect([...wait.waiting().keys()]).toEqual([1]);
    expect(notices).toEqual([['warning', expect.stringMatching(/^Webhook Locked: Waiting — secret unavailable\. The OS keyring/)]]);
    // Looked at again every 30 s; said once, not every time.
    clock.advance(90_000);
    expect(notices).toHaveLength(1);
    expect(refreshes).toBe(0);
    // The keyring opens: at most 30 s later the dispatcher is told.
    list = [{ id: 1, name: 'Locked' }, { id: 2, name: 'Fine' }];
    clock.advance(29_999);
    expect(refreshes).toBe(0);
    clock.advance(1);
    expect(refreshes).toBe(1);
    expect(wait.waiting().size).toBe(0);
    expect(notices[1]).toEqual(['info', 'Webhook Locked can be signed again: its waiting callbacks are being sent.']);
    expect(changes).toBe(2);
    // check() (the window gained focus) looks at once.
    list = [{ id: 1, name: 'Locked', unavailable: 'x' }];
    wait.check();
    expect(wait.waiting().size).toBe(1);
    wait.stop();
    expect(clock.dues()).toEqual([]);
  });
});
