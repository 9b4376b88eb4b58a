// The Devices view rendered to HTML (no DOM needed): the simulated badge and reason, the device
// columns, the empty state with the problem, the connection-error state.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDeviceType, formatPciId } from '../../renderer/format.js';
import type { DevicePropertiesView } from '../../protocol/views.js';
import { DevicesPanel, enginesOf } from '../../renderer/views/DevicesView.js';
import { noDriverList, simulatedList } from './fixtures.js';

const open = { state: 'open', attempt: 0 } as const;

function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&apos;/g, "'")
    .replace(/\s+/g, ' ');
}

describe('DevicesPanel', () => {
  it('lists simulated devices under a visible "Simulated devices" badge with the reason', () => {
    const html = renderToStaticMarkup(
      <DevicesPanel devices={{ status: 'ready', list: simulatedList }} connection={open} />,
    );
    expect(html).toContain('data-testid="simulated-badge"');
    expect(html).toMatch(/data-testid="simulated-badge"[^>]*>Simulated devices</);
    expect(html).toContain('title="--driver sim: using the simulated driver"');
    expect(text(html)).toContain('They are not your GPU');
    const row = text(html);
    expect(row).toContain('Intel(R) Arc(TM) A770 Graphics');
    expect(row).toContain('GPU');
    expect(row).toContain('16.0 GiB');
    expect(row).toContain('1.3.29735');
    expect(row).toContain('0x8086:0x56a0');
  });

  it('shows no badge for a system driver', () => {
    const list = {
      ...simulatedList,
      driver: { ...noDriverList.driver },
      devices: simulatedList.devices.map((d) => ({ ...d, simulated: false })),
    };
    const html = renderToStaticMarkup(<DevicesPanel devices={{ status: 'ready', list }} connection={open} />);
    expect(html).not.toContain('simulated-badge');
    expect(html).toContain('data-simulated="false"');
  });

  it('explains an empty list with the problem: title, detail and what to do', () => {
    const html = renderToStaticMarkup(
      <DevicesPanel devices={{ status: 'ready', list: noDriverList }} connection={open} />,
    );
    expect(html).toContain('data-testid="devices-empty"');
    expect(html).not.toContain('data-testid="device-list"');
    const t = text(html);
    expect(t).toContain('No Level Zero driver found');
    expect(t).toContain('zeInit returned ZE_RESULT_ERROR_UNINITIALIZED');
    expect(t).toContain('What to do: Install the Intel GPU driver');
  });

  it('shows the connection error with the retry schedule', () => {
    const html = renderToStaticMarkup(
      <DevicesPanel
        devices={{ status: 'idle' }}
        connection={{
          state: 'reconnecting',
          attempt: 3,
          error: 'Cannot reach the xpuscope service at ws://127.0.0.1:1/ws',
          retryInMs: 2000,
        }}
        onRetryConnection={() => {}}
      />,
    );
    expect(html).toContain('data-testid="connection-error"');
    expect(html).toContain('data-testid="connection-retry"');
    expect(text(html)).toContain('Retrying in 2 s (attempt 3)');
    expect(html).not.toContain('devices-loading');
  });

  it('shows request errors with their hint', () => {
    const html = renderToStaticMarkup(
      <DevicesPanel
        devices={{ status: 'error', error: { code: 'INTERNAL', message: 'boom', hint: 'rebuild it' } }}
        connection={open}
      />,
    );
    expect(text(html)).toContain('boom');
    expect(text(html)).toContain('rebuild it');
  });
});

describe('formatting', () => {
  it('shows each sub-device (tile) with its own engines, under the device', () => {
    const engines = [
      { ordinal: 0, kind: 'compute', numQueues: 4 },
      { ordinal: 1, kind: 'copy', numQueues: 8 },
    ];
    const raw = {
      engines,
      subDeviceCount: 2,
      subDevices: [
        { subdeviceId: 0, euCount: 512, engines },
        { subdeviceId: 1, euCount: 512, engines: engines.slice(0, 1) },
      ],
    };
    const view: DevicePropertiesView = {
      schema: 'xpuscope.properties/1',
      device: 0,
      name: 'x',
      simulated: true,
      groups: [],
      raw,
    };
    const html = renderToStaticMarkup(
      <DevicesPanel
        devices={{ status: 'ready', list: simulatedList }}
        connection={open}
        properties={{ 0: { status: 'ready', value: view } }}
      />,
    );
    expect(html.match(/data-testid="device-tile"/g)).toHaveLength(2);
    const t = text(html);
    expect(t).toContain('2 sub-devices');
    expect(t).toContain('tile 1 · 512 EUs compute · group 0 · 4 queues');
    // An older service reports only the count: the tiles are still listed.
    expect(enginesOf({ ...view, raw: { engines, subDeviceCount: 2 } }).tiles).toEqual([
      { subdeviceId: 0, engines: [] },
      { subdeviceId: 1, engines: [] },
    ]);
  });

  it('formats bytes, device types and PCI ids', () => {
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536 * 1024 ** 2)).toBe('1.5 GiB');
    expect(formatDeviceType('gpu', true)).toBe('GPU (integrated)');
    expect(formatDeviceType('npu', false)).toBe('npu');
    expect(formatPciId(0x8086, 0x56a0)).toBe('0x8086:0x56a0');
  });
});
