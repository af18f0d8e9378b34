// Duplicates a listening socket for HTTP threads (the backend's and the gateway's). Node cannot dup(2) a descriptor,
// but a socket sent over an IPC channel arrives as a new descriptor (SCM_RIGHTS). The parent sends this process
// either a request to listen ({listen: {host, port}}) or a socket it already has ({again: n}, with the socket); this
// process sends that socket back `count` times, each arriving in the parent as a descriptor of its own, then waits
// for the next.
// Plain JavaScript with no imports of ours: it runs the same from the sources and from dist/.
import { createServer } from 'node:net';

process.on('message', (msg, handle) => {
  const send = (raw, count, port) => {
    for (let i = 0; i < count; i++) process.send({ type: 'dup', port }, raw);
    process.send({ type: 'done' });
  };
  if (msg.listen) {
    const server = createServer();
    server.once('error', (err) => process.send({ type: 'error', code: err.code, message: err.message }));
    // Never accepts: it only holds the socket until the copies are sent.
    server.listen({ host: msg.listen.host, port: msg.listen.port, backlog: 1024 }, () => {
      server._handle.onconnection = null;
      send(server._handle, msg.count, server.address().port);
    });
  } else if (msg.again && handle) {
    send(handle, msg.again, msg.port);
  }
});
process.on('disconnect', () => process.exit(0));
