// Worker threads each have their own runtime state; lazy initialisation in a fresh process.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { xpu } from '../../runtime/index.js';
import { cleanEnv, ROOT, RUNTIME, runChild, type Json } from './helpers/child.js';
import { haveSim, PROFILES, useSim } from './helpers/sim.js';

useSim();

function inWorker(body: string): Promise<Json> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    require('node:module').register(${JSON.stringify(pathToFileURL(join(ROOT, 'tests/runtime/helpers/ts-hooks.mjs')).href)});
    (async () => {
      const { xpu, configureDriver } = await import(${JSON.stringify(RUNTIME)});
      configureDriver({ driver: 'sim', profile: ${JSON.stringify(PROFILES)} });
      ${body}
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', (m) => {
      void w.terminate();
      resolve(m);
    });
    w.once('error', reject);
  });
}

describe.skipIf(!haveSim)('worker threads', () => {
  it('each worker has its own current device and streams', async () => {
    xpu.setDevice(2);
    const s = new xpu.Stream({ device: 2 });
    xpu.setStream(s);
    const r = await inWorker(`
      const before = xpu.currentDevice();
      const defaultId = xpu.currentStream().streamId;
      xpu.setDevice(1);
      const buf = xpu.alloc(256, { device: 1, kind: 'shared' });
      const st = new xpu.Stream({ device: 1 });
      st.fill(buf, 3);
      await st.synchronize();
      parentPort.postMessage({ before, defaultId, after: xpu.currentDevice(), byte: buf.read(0, 1)[0] });
    `);
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ before: 0, defaultId: (31 << 4) | 3, after: 1, byte: 3 });
    expect(xpu.currentDevice()).toBe(2);
    expect(xpu.currentStream()).toBe(s);
    xpu.setDevice(0);
  });

  it("a worker cannot pick another driver than the process's loader already uses", async () => {
    xpu.init();
    const r = await inWorker(`
      let err = null;
      try { configureDriver({ driver: 'system' }); } catch (e) { err = e.message; }
      parentPort.postMessage({ err, count: xpu.deviceCount(), mode: xpu.listDevices().driver.mode });
    `);
    expect(r.error).toBeUndefined();
    expect(r.err).toMatch(/^Cannot switch the Level Zero driver to 'system'/);
    expect(r).toMatchObject({ count: 3, mode: 'sim' });
  });
});

describe.skipIf(!haveSim)('lazy initialisation', () => {
  it('Stream/Event construction and counts: only what is needed is initialised', () => {
    const r = runChild<Json>(
      `const e = new xpu.Event({ enableTiming: true });
       const a = { count: xpu.deviceCount(), init: xpu.isInitialized(), ev: String(e.eventId) };
       const s = new xpu.Stream();
       done({ ...a, afterStream: xpu.isInitialized(), sid: s.streamId });`,
      cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770' }),
    );
    expect(r).toEqual({ count: 1, init: false, ev: '0', afterStream: true, sid: 3 });
  });
});
