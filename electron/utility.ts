// Runs in an Electron utilityProcess: hosts the xpuscope service (host/service.ts, which loads the
// runtime, koffi and the Level Zero driver) and answers requests over the MessagePort main sends.
// If the driver crashes, only this process dies; main restarts it.
import type { MessagePortMain } from 'electron';
import type { DriverRequest } from '../protocol/devices.js';
import { createService } from '../host/service.js';
import { DRIVER_ENV } from './ipc.js';

const DRIVERS: readonly DriverRequest[] = ['auto', 'system', 'sim'];

function driverRequest(value: string | undefined): DriverRequest | undefined {
  return DRIVERS.find((d) => d === value);
}

const parentPort = process.parentPort;
if (!parentPort) throw new Error('utility.ts must run in an Electron utilityProcess');

parentPort.once('message', (init) => {
  const port: MessagePortMain | undefined = init.ports[0];
  if (!port) throw new Error('xpuscope: the init message carried no MessagePort');
  const driver = driverRequest(process.env[DRIVER_ENV]);
  const service = createService(driver ? { driver } : {});
  service.on((push) => port.postMessage(push));
  port.on('message', (event) => {
    void service.handle(event.data).then((reply) => port.postMessage(reply));
  });
  port.on('close', () => {
    service.close();
    process.exit(0);
  });
  port.start();
});
