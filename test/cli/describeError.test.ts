import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeError } from '../../cli/describeError';
import { explainListenError } from '../../cli/listenErrors';

describe('describeError', () => {
  it('names the option of a zod validation failure as its flag', () => {
    const schema = z.object({ maxBodyBytes: z.number().positive(), strictProvider: z.boolean() });
    const bad = (input: unknown) => {
      try {
        schema.parse(input);
      } catch (err) {
        return describeError(err);
      }
    };
    expect(bad({ maxBodyBytes: -1, strictProvider: true })).toMatch(/^--max-body-bytes: /);
    expect(bad({ maxBodyBytes: 1, strictProvider: 'yes' })).toMatch(/^--strict: /);
  });

  it('keeps a message to one line', () => {
    expect(describeError(new Error('first\n   second\n'))).toBe('first second');
  });
});

describe('explainListenError', () => {
  const listenError = (code: string) => Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen', port: 8080, address: '10.9.9.9' });

  it('says which flag changes a port in use, a privileged port, or an address not on this host', () => {
    expect(explainListenError(listenError('EADDRINUSE'), '--gateway-port')?.message).toBe('port 8080 is in use: stop the other server or pass --gateway-port');
    expect(explainListenError(listenError('EACCES'), '--port')?.message).toMatch(/^port 8080 needs privileges .*--port/);
    expect(explainListenError(listenError('EADDRNOTAVAIL'), '--port')?.message).toMatch(/^cannot listen on 10\.9\.9\.9: .*--host/);
  });

  it('leaves other errors alone', () => {
    expect(explainListenError(Object.assign(new Error('x'), { code: 'ENOENT', syscall: 'open' }), '--port')).toBeUndefined();
    expect(explainListenError(new Error('plain'), '--port')).toBeUndefined();
  });
});
