// Sentences main wants a person to read (a banner in the window): a data file moved aside, a second
// launch redirected here… Plain Node; the composition root pushes each new one to the renderer.
import { randomUUID } from 'node:crypto';
import type { Notice } from '../../preload/contract';
import { Listeners } from '../base/listeners';

export class NoticeBoard {
  private readonly notices: Notice[] = [];
  private readonly listeners = new Listeners<Notice>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 20,
  ) {}

  add(level: Notice['level'], message: string): Notice {
    const notice: Notice = { id: randomUUID(), level, message, at: this.now() };
    this.notices.push(notice);
    if (this.notices.length > this.max) this.notices.shift();
    this.listeners.emit(notice);
    return notice;
  }

  list(): Notice[] {
    return [...this.notices];
  }

  dismiss(id: string): boolean {
    const index = this.notices.findIndex((n) => n.id === id);
    if (index < 0) return false;
    this.notices.splice(index, 1);
    return true;
  }

  onAdd(listener: (notice: Notice) => void): () => void {
    return this.listeners.add(listener);
  }
}
