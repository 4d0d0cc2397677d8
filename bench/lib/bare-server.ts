import http from 'node:http';
import Koa from 'koa';
import { WebSocketServer } from 'ws';

// The baselines of bench/wave.ts, each a process of its own on the core the API
// gets: `bare-server.ts koa <port>` answers GET / with a small JSON body;
// `bare-server.ts ws <port>` echoes every WebSocket message to its sender.

const [mode, port] = process.argv.slice(2);
const server =
  mode === 'koa'
    ? http.createServer(
        new Koa()
          .use((ctx) => {
            ctx.body = { success: true, data: { ok: true } };
          })
          .callback(),
      )
    : http.createServer((_req, res) => res.end('ok'));
if (mode === 'ws') {
  new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
}
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
