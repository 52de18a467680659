import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED_KEYS } from '../../src/core/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

// Each value is unique so a leak anywhere in the line is found by a plain substring search.
const SECRET_VALUES = {
  familyName: 'LEAK-family-山田',
  givenName: 'LEAK-given-太郎',
  birthDate: 'LEAK-1990-01-01',
  address: 'LEAK-東京都千代田区',
  password: 'LEAK-password',
  pin: 'LEAK-1234',
  client_secret: 'LEAK-client-secret',
  certificate: 'LEAK-MIIBcert',
  authorization: 'Bearer LEAK-token',
  cookie: '_session=LEAK-cookie',
  body: 'LEAK-body',
  email: 'LEAK@example.jp',
  individualNumber: 'LEAK-123456789012',
};

describe('createLogger', () => {
  it('writes none of the personal or secret values, at any of the first four levels', () => {
    const { lines, log } = capture();
    const person = {
      familyName: [{ value: SECRET_VALUES.familyName, script: 'Jpan' }],
      givenName: [{ value: SECRET_VALUES.givenName, script: 'Jpan' }],
      birthDate: SECRET_VALUES.birthDate,
      address: { formatted: SECRET_VALUES.address },
      email: SECRET_VALUES.email,
    };
    log.info({ familyName: SECRET_VALUES.familyName, pin: SECRET_VALUES.pin, source: 'jpki' }, 'top level');
    log.info({ identity: { person, loa: 'high' } }, 'person object');
    log.info({ ctx: { identity: { person } } }, 'person two levels down');
    log.info({ a: { b: { c: { ...person, password: SECRET_VALUES.password } } } }, 'three levels down');
    log.info({ client: { client_id: 'rp-1', client_secret: SECRET_VALUES.client_secret } }, 'client');
    log.info(
      { card: { certificate: SECRET_VALUES.certificate, individualNumber: SECRET_VALUES.individualNumber } },
      'card',
    );
    log.info({ identities: [{ givenName: SECRET_VALUES.givenName }] }, 'array');
    log.info(
      {
        req: {
          method: 'POST',
          url: '/token?code=LEAK-code',
          headers: {
            authorization: SECRET_VALUES.authorization,
            cookie: SECRET_VALUES.cookie,
            'user-agent': 'ua/1',
          },
          body: { password: SECRET_VALUES.password, other: SECRET_VALUES.body },
        },
        body: SECRET_VALUES.body,
      },
      'request',
    );
    log.info(
      { upstream: { headers: { authorization: SECRET_VALUES.authorization }, body: SECRET_VALUES.body } },
      'nested',
    );

    expect(lines).toHaveLength(9);
    const all = lines.join('\n');
    for (const [key, value] of Object.entries(SECRET_VALUES)) {
      expect(all, `${key} leaked`).not.toContain(value);
    }
    expect(all).not.toContain('LEAK');

    // What remains is still useful.
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({
      msg: 'top level',
      source: 'jpki',
      familyName: '[redacted]',
      pin: '[redacted]',
    });
    expect(parsed[1]).toMatchObject({ identity: { person: '[redacted]', loa: 'high' } });
    expect(parsed[4]).toMatchObject({ client: { client_id: 'rp-1', client_secret: '[redacted]' } });
    expect(parsed[7]).toMatchObject({
      req: { method: 'POST', url: '/token', headers: { 'user-agent': 'ua/1' } },
    });
    expect(parsed[7]!.req).not.toHaveProperty('body');
  });

  it('redacts every listed key at the top level', () => {
    const { lines, log } = capture();
    log.info(Object.fromEntries(REDACTED_KEYS.map((k) => [k, `LEAK-${k}`])));
    expect(lines[0]).not.toContain('LEAK');
  });

  it('honours the level', () => {
    const { lines, log } = capture();
    log.level = 'warn';
    log.info('hidden');
    log.warn('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });
});
