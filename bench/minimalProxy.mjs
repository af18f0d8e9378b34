// Reference for the gateway bench: the least a Node hop can do. It relays each request body to one backend as
// it arrives (node:http in, undici out) with no auth, limits or validation, and relays the answer back.
// Usage: node bench/minimalProxy.mjs <backend origin>; prints {"msg":"proxy ready","url":...} on stdout.
import http from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2], { connections: 64 });
const server = http.createServer(async (req, res) => {
  try {
    const headers = {};
    for (const name of ['content-type', 'content-length', 'inference-header-content-length']) {
      if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    }
    const up = await pool.request({ method: req.method, path: req.url, headers, body: req.method === 'POST' ? req : undefined });
    const body = await up.body.bytes();
    res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] ?? 'application/json', 'content-length': body.length });
    res.end(body);
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: String(err) }));
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'proxy ready', url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('SIGTERM', () => {
  server.close();
  void pool.close();
  server.closeAllConnections();
  process.exit(0);
});
