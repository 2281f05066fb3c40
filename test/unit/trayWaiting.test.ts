import { describe, expect, it } from 'vitest';
import { trayModel } from '../../main/shell/trayModel';

describe('tray: a webhook waiting for its secret', () => {
  it('is listed, counted in the tooltip, and turns the icon amber', () => {
    const webhooks = [
      { id: 1, name: 'Locked', enabled: true, paused: false },
      { id: 2, name: 'Fine', enabled: true, paused: false },
    ];
    const model = trayModel({ devices: [], webhooks, failures: () => 0, waiting: (id) => id === 1 });
    expect(model.waiting).toEqual(['Locked']);
    expect(model.tooltip).toContain('1 waiting for the OS keyring');
    expect(model.icon).toBe('paused');
    expect(trayModel({ devices: [], webhooks, failures: () => 0, waiting: () => false }).icon).toBe('ok');
  });
});

describe('tray: a webhook whose queue is full', () => {
  it('is listed with the count refused and turns the icon red', () => {
    const webhooks = [{ id: 1, name: 'Backlog', enabled: true, paused: false }];
    const model = trayModel({ devices: [], webhooks, failures: () => 0, refused: () => 37 });
    expect(model.queueFull).toEqual(['Backlog (37 refused)']);
    expect(model.tooltip).toContain('1 with a full queue');
    expect(model.icon).toBe('failing');
  });
});
