import { describe, expect, it } from 'vitest';
import { Listeners } from '../../main/base/listeners';

describe('Listeners', () => {
  it('calls every listener in order, and not after unsubscribing (even from inside a call)', () => {
    const set = new Listeners<number>();
    const heard: string[] = [];
    const offA = set.add((n) => {
      heard.push(`a${n}`);
      offA();
    });
    set.add((n) => heard.push(`b${n}`));
    set.emit(1);
    set.emit(2);
    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(set.size).toBe(1);
  });

  it('hands a throw to onError and still calls the others', () => {
    const errors: unknown[] = [];
    const set = new Listeners<number>((error) => errors.push(error));
    const heard: number[] = [];
    set.add(() => {
      throw new Error('boom');
    });
    set.add((n) => heard.push(n));
    set.emit(7);
    expect(heard).toEqual([7]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('boom');
  });

  it('without onError, throws the first error once every listener has run', () => {
    const set = new Listeners<number>();
    const heard: number[] = [];
    set.add(() => {
      throw new Error('first');
    });
    set.add(() => {
      throw new Error('second');
    });
    set.add((n) => heard.push(n));
    expect(() => set.emit(3)).toThrow('first');
    expect(heard).toEqual([3]);
  });

  it('clear() drops every listener', () => {
    const set = new Listeners<number>();
    const heard: number[] = [];
    set.add((n) => heard.push(n));
    set.clear();
    set.emit(1);
    expect(heard).toEqual([]);
  });
});
