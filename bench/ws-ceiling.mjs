// bench/ws-ceiling.mjs — not part of the suite: the raw byte rate a node `ws` server can push into headless
// Chromium on this machine, with nothing of xpuscope in between. The page receives binary messages of a
// fixed size and acknowledges each one (a 1-byte text frame); the server keeps up to `window` messages
// unacknowledged. This is the ceiling for `ingest`: spans/s ≤ this rate / bytes per span.
//   node bench/ws-ceiling.mjs [seconds=4]   → one line per (message size, window)
/* global window -- page-side callbacks run in Chromium */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { cpuSeconds, launch } from './browser.mjs';

const seconds = Number(process.argv[2] ?? 4);
const PAGE = `<!doctype html><script>
window.__go = (url, mode) => new Promise((res) => {
  const ws = new WebSocket(url); ws.binaryType = 'arraybuffer';
  let bytes = 0, msgs = 0, sum = 0;
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') { ws.close(); res({ bytes, msgs, sum }); return; }
    bytes += e.data.byteLength; msgs++;
    // 'touch': read every 4 KiB of the message, as a decoder would (the data must reach the page's heap)
    if (mode === 'touch') { const u = new Uint8Array(e.data); for (let i = 0; i < u.length; i += 4096) sum += u[i]; }
    ws.send('a');
  };
});
</script>`;

const http = createServer((req, res) => res.end(PAGE));
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
await new Promise((r) => http.listen(0, '127.0.0.1', r));
const port = http.address().port;
let job = null;
wss.on('connection', (ws) => {
  const { size, window: win } = job;
  const buf = Buffer.alloc(size, 7);
  let inflight = 0;
  let acked = 0;
  const t0 = performance.now();
  let done = false;
  const pump = () => {
    while (!done && inflight < win) {
      ws.send(buf, { binary: true });
      inflight++;
    }
  };
  ws.on('message', () => {
    inflight--;
    acked++;
    if (!done && performance.now() - t0 >= seconds * 1000) {
      done = true;
      const ms = performance.now() - t0;
      job.result = { ms, acked };
      ws.send('end');
      return;
    }
    pump();
  });
  pump();
});

const browser = await launch();
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${port}/`);
const { loadavg } = await import('node:os');
for (const mode of ['plain', 'touch']) {
  for (const size of [256 * 1024, 1024 * 1024, 2 * 1024 * 1024]) {
    for (const win of [1, 4]) {
      job = { size, window: win };
      const c0 = cpuSeconds();
      const r = await page.evaluate(([u, m]) => window.__go(u, m), [`ws://127.0.0.1:${port}/`, mode]);
      const c1 = cpuSeconds();
      const sec = job.result.ms / 1000;
      const mbps = (job.result.acked * size) / 1048576 / sec;
      const busy = `chromium CPU ${((100 * (c1.chrome - c0.chrome)) / sec).toFixed(0)} %, node ${((100 * (c1.node - c0.node)) / sec).toFixed(0)} %`;
      console.log(
        `${mode.padEnd(5)} msg ${String(size / 1024).padStart(5)} KiB window ${win}: ${mbps.toFixed(1).padStart(7)} MiB/s (${job.result.acked} acked in ${(job.result.ms / 1000).toFixed(2)} s; page got ${r.msgs}; ${busy}) load ${loadavg()[0].toFixed(2)}`,
      );
    }
  }
}
await browser.close();
wss.close();
http.close();
