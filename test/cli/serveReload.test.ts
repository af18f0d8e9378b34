import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keysFor } from '../gateway/support/tenants';
import { runSiglip, startSiglip, type RunningSiglip } from './support/cli';

let dir: string | undefined;
let serve: RunningSiglip | undefined;
afterEach(async () => {
  await serve?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
  serve = dir = undefined;
});

const modelWith = (gateway: string, key: string) => fetch(`${gateway}/v2/models/siglip_vision`, { headers: { authorization: `Bearer ${key}` } });

describe('siglip serve: SIGHUP', () => {
  it('reloads the keys file (a key created afterwards works) and leaves both servers running', async () => {
    dir = await mkdtemp(join(tmpdir(), 'siglip-hup-'));
    const keysFile = join(dir, 'keys.json');
    const first = await keysFor({ acme: {} });
    await writeFile(keysFile, JSON.stringify(first.file));
    serve = startSiglip(['serve', '--port', '0', '--gateway-port', '0', '--keys', keysFile, '--providers', 'cpu', '--workers', '1']);
    const backendUrl = (await serve.waitForLog((l) => l.msg === 'backend ready')).url as string;
    const gatewayUrl = (await serve.waitForLog((l) => l.msg === 'gateway ready')).url as string;

    const created = await runSiglip(['keys', 'create', '--tenant', 'late', '--keys', keysFile]);
    expect(created.code).toBe(0);
    const lateKey = created.stdout.trim();
    expect((await modelWith(gatewayUrl, lateKey)).status).toBe(401);

    serve.child.kill('SIGHUP');
    await serve.waitForLog((l) => l.msg === 'keys reloaded');

    const res = await modelWith(gatewayUrl, lateKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'siglip_vision' });
    expect((await modelWith(gatewayUrl, first.keys.acme)).status).toBe(200);
    expect((await fetch(`${backendUrl}/v2/health/ready`)).status).toBe(200);
    expect(serve.child.exitCode).toBeNull();

    // The CLI's logger: JSON lines (stdout is not a terminal), level names, ISO times, one access line per request.
    const access = await serve.waitForLog((l) => l.msg === 'request' && l.tenant === 'late' && l.status === 200);
    expect(access).toMatchObject({ level: 'info', service: 'gateway', method: 'GET', path: '/v2/models/siglip_vision', model: 'siglip_vision' });
    expect(access.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });
});
