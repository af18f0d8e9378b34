import { describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/node';
import { keysFor } from '../gateway/support/tenants';
import * as guard from './fiveHundredGuard';

const { fiveHundredProblem } = guard;

describe('the 5xx guard', () => {
  it('takes the messages written for clients', () => {
    expect(fiveHundredProblem(500, '{"error":"internal error (request id 8c1f-2); the server log has the details"}')).toBe('');
    expect(fiveHundredProblem(503, '{"error":"Exceeds maximum queue size"}')).toBe('');
  });

  it('flags an internal message, a body that is not JSON and extra fields', () => {
    expect(fiveHundredProblem(500, '{"error":"internal error: onnxruntime failed: Non-zero status code returned while running Gather node"}')).toMatch(/leaks/);
    expect(fiveHundredProblem(503, '{"error":"backend a failed: connect ECONNREFUSED 127.0.0.1:8000"}')).toMatch(/leaks/);
    expect(fiveHundredProblem(500, 'Internal Server Error')).toMatch(/not JSON/);
    expect(fiveHundredProblem(500, '{"error":"internal error; the server log has the details","stack":"..."}')).toMatch(/not \{"error"/);
  });

  it("reads the 5xx answers of both servers (it would not catch anything if it saw none)", async () => {
    const before = guard.checked;
    const made = await keysFor({ t: {} });
    const gw = await startGateway({ port: 0, backends: ['a=http://127.0.0.1:9'], keys: made.file, logLevel: 'silent' });
    expect((await fetch(`${gw.url}/v2/models/x`, { headers: { authorization: `Bearer ${made.keys.t}` } })).status).toBe(503);
    await gw.close();
    expect(guard.checked).toBeGreaterThan(before);
  });
});
