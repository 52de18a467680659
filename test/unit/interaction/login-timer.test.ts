/** The login duration timer: once per login, and bounded so abandoned logins cannot grow it without end. */
import { describe, expect, it } from 'vitest';
import { LoginTimer } from '../../../src/interaction/login-timer.js';

describe('LoginTimer', () => {
  it('times a login from its first start, once', () => {
    let t = 1_000;
    const timer = new LoginTimer(() => t);
    timer.start('a');
    t = 3_500;
    timer.start('a'); // the login page shown again (a language switch) keeps the first start
    t = 5_000;
    expect(timer.finish('a')).toBe(4);
    expect(timer.finish('a')).toBeUndefined();
    expect(timer.finish('never-started')).toBeUndefined();
  });

  it('forgets the oldest start when full, so abandoned logins do not accumulate', () => {
    const timer = new LoginTimer(() => 0, 3);
    for (let i = 0; i < 1_000; i++) timer.start(`abandoned-${i}`);
    expect(timer.size).toBe(3);
    timer.start('live');
    expect(timer.size).toBe(3);
    expect(timer.finish('abandoned-997')).toBeUndefined(); // evicted by 'live'
    expect(timer.finish('abandoned-998')).toBe(0);
    expect(timer.finish('live')).toBe(0);
    expect(timer.size).toBe(1);
  });
});
