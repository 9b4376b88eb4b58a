// Runs in an Electron utilityProcess: hosts the xpuscope service (host/service.ts, which loads the
// runtime, koffi and the Level Zero driver) and answers requests over the MessagePort main sends.
// Timeline batches go out on a separate port main hands over for the page (one per page load), as
// ArrayBuffers (one message per batch, never one per span; MessagePortMain clones them). If the driver crashes, only this process
// dies; main restarts it.
import type { MessagePortMain } from 'electron';
import type { DriverRequest } from '../protocol/devices.js';
import { createService } from '../host/service.js';
import { DRIVER_ENV, UTILITY_BATCH_PORT, UTILITY_INIT } from './ipc.js';

const DRIVERS: readonly DriverRequest[] = ['auto', 'system', 'sim'];
/**
 * The desktop window is one client with two subscriptions (JSON events here, batches on its own port):
 * one key, so its captures view and the `timeline.reset` that goes with a switch reach both.
 */
const APP_CLIENT = 'app';

function driverRequest(value: string | undefined): DriverRequest | undefined {
  return DRIVERS.find((d) => d === value);
}

const parentPort = process.parentPort;
if (!parentPort) throw new Error('utility.ts must run in an Electron utilityProcess');

let service: ReturnType<typeof createService> | null = null;
let batchSubscription: { port: MessagePortMain; off: () => void } | null = null;

function attachBatchPort(port: MessagePortMain): void {
  if (!service) return;
  batchSubscription?.off();
  batchSubscription?.port.close();
  const off = service.on(
    (push) => {
      if (push.event !== 'timeline.batch') return;
      const data = push.data as ArrayBuffer;
      port.postMessage(data);
    },
    { client: APP_CLIENT },
  );
  batchSubscription = { port, off };
  port.start();
}

parentPort.on('message', (message) => {
  const type = (message.data as { type?: unknown } | null)?.type;
  const port: MessagePortMain | undefined = message.ports[0];
  if (type === UTILITY_BATCH_PORT.type) {
    if (port) attachBatchPort(port);
    return;
  }
  if (type !== UTILITY_INIT.type || service) return;
  if (!port) throw new Error('xpuscope: the init message carried no MessagePort');
  const driver = driverRequest(process.env[DRIVER_ENV]);
  // The desktop app's own window may launch programs to record (its user runs it on purpose).
  const svc = createService(driver ? { driver, allowLaunch: true } : { allowLaunch: true });
  service = svc;
  // Everything but timeline batches goes to main (which relays it to the page as JSON-able data);
  // batches go on the page's own port, so this subscription asks for none (none is encoded for it).
  svc.on(
    (push) => {
      if (push.event !== 'timeline.batch') port.postMessage(push);
    },
    { batches: false, client: APP_CLIENT },
  );
  port.on('message', (event) => {
    void svc.handle(event.data, { client: APP_CLIENT }).then((reply) => port.postMessage(reply));
  });
  port.on('close', () => {
    svc.close();
    process.exit(0);
  });
  port.start();
});
