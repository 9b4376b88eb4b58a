// The Devices view: driver → devices. States: loading, connection error, request error, empty (with
// the service's Problem: what failed, why, what to do), and the list. A simulated driver is always
// flagged with a badge and its reason, so nobody mistakes the simulator for their GPU.
import type { ErrorPayload } from '../../protocol/contract.js';
import type { DeviceList, DeviceSummary, Problem } from '../../protocol/devices.js';
import { useEffect } from 'react';
import type { DevicePropertiesView } from '../../protocol/views.js';
import { formatBytes, formatDeviceType, formatPciId } from '../format.js';
import { useApp } from '../state/context.js';
import type { Async, DevicesState } from '../state/store.js';
import type { ConnectionStatus } from '../transports/index.js';

export function DevicesView() {
  const devices = useApp((s) => s.devices);
  const connection = useApp((s) => s.connection);
  const loadDevices = useApp((s) => s.loadDevices);
  const retryConnection = useApp((s) => s.retryConnection);
  const properties = useApp((s) => s.properties);
  const loadProperties = useApp((s) => s.loadProperties);
  // Engines and sub-devices come from each device's properties.
  useEffect(() => {
    if (devices.status !== 'ready') return;
    for (const d of devices.list.devices) if (!properties[d.index]) void loadProperties(d.index);
  }, [devices, properties, loadProperties]);
  return (
    <DevicesPanel
      devices={devices}
      properties={properties}
      connection={connection}
      onReload={() => void loadDevices()}
      onRetryConnection={retryConnection}
    />
  );
}

export interface DevicesPanelProps {
  devices: DevicesState;
  properties?: Record<number, Async<DevicePropertiesView>>;
  connection: ConnectionStatus;
  onReload?: () => void;
  onRetryConnection?: () => void;
}

/** Pure rendering of the Devices view (rendered to a string in tests). */
export function DevicesPanel({
  devices,
  properties,
  connection,
  onReload,
  onRetryConnection,
}: DevicesPanelProps) {
  const connected = connection.state === 'open';
  const list =
    devices.status === 'ready' ? devices.list : 'previous' in devices ? devices.previous : undefined;
  return (
    <section className="view" data-testid="devices-view" aria-labelledby="devices-heading">
      <header className="view-header">
        <h2 id="devices-heading">Devices</h2>
        <button
          type="button"
          data-testid="devices-reload"
          onClick={onReload}
          disabled={!connected || devices.status === 'loading'}
        >
          Refresh
        </button>
      </header>
      {!connected && connection.error !== undefined ? (
        <ConnectionError connection={connection} onRetry={onRetryConnection} />
      ) : null}
      {devices.status === 'error' ? <RequestError error={devices.error} /> : null}
      {list ? (
        <DeviceListView
          list={list}
          stale={!connected || devices.status !== 'ready'}
          {...(properties ? { properties } : {})}
        />
      ) : devices.status === 'loading' || (devices.status === 'idle' && connection.error === undefined) ? (
        <p className="muted" data-testid="devices-loading" role="status">
          Looking for Level Zero drivers…
        </p>
      ) : null}
    </section>
  );
}

function ConnectionError({ connection, onRetry }: { connection: ConnectionStatus; onRetry?: () => void }) {
  const seconds =
    connection.retryInMs !== undefined ? Math.max(1, Math.round(connection.retryInMs / 1000)) : null;
  return (
    <div className="callout callout-error" data-testid="connection-error" role="alert">
      <h3>Not connected to the xpuscope service</h3>
      <p data-testid="connection-error-message">{connection.error}</p>
      <p className="muted">
        {connection.state === 'reconnecting' && seconds !== null
          ? `Retrying in ${seconds} s (attempt ${connection.attempt}).`
          : connection.state === 'closed'
            ? 'The connection is closed.'
            : 'Connecting…'}{' '}
        If you started <code>xpuscope serve</code> in a terminal, check that it is still running.
      </p>
      {connection.state !== 'closed' && onRetry ? (
        <button type="button" data-testid="connection-retry" onClick={onRetry}>
          Retry now
        </button>
      ) : null}
    </div>
  );
}

function RequestError({ error }: { error: ErrorPayload }) {
  return (
    <div className="callout callout-error" data-testid="devices-error" role="alert">
      <h3>Could not list devices</h3>
      <p>
        {error.message} <span className="code-tag">{error.code}</span>
      </p>
      {error.hint ? <p className="hint">{error.hint}</p> : null}
    </div>
  );
}

export function DeviceListView({
  list,
  stale = false,
  properties = {},
}: {
  list: DeviceList;
  stale?: boolean;
  properties?: Record<number, Async<DevicePropertiesView>>;
}) {
  return (
    <div className={stale ? 'stale' : undefined} data-testid="device-list-view" aria-busy={stale}>
      <DriverPanel list={list} />
      {list.devices.length > 0 ? (
        <>
          {list.problem ? <ProblemCallout problem={list.problem} partial /> : null}
          <DeviceTable
            devices={list.devices}
            driverVersionFallback={list.loader.version}
            properties={properties}
          />
        </>
      ) : (
        <EmptyState problem={list.problem} />
      )}
    </div>
  );
}

function DriverPanel({ list }: { list: DeviceList }) {
  const { driver, loader } = list;
  return (
    <section
      className={driver.simulated ? 'driver-panel driver-panel-sim' : 'driver-panel'}
      data-testid="driver-panel"
      data-simulated={driver.simulated ? 'true' : 'false'}
      aria-label="Driver"
    >
      <div className="driver-title">
        <h3>{driver.mode === 'sim' ? 'Simulated Level Zero driver' : 'System Level Zero driver'}</h3>
        {driver.simulated ? (
          <span
            className="badge badge-sim"
            data-testid="simulated-badge"
            title={driver.reason}
            tabIndex={0}
            aria-describedby="driver-reason"
          >
            Simulated devices
          </span>
        ) : null}
      </div>
      {driver.simulated ? (
        <p className="sim-warning" data-testid="simulated-warning">
          These devices are simulated by xpuscope&apos;s built-in driver. They are not your GPU.
        </p>
      ) : null}
      <p className="muted" id="driver-reason" data-testid="driver-reason">
        {driver.reason}
      </p>
      <dl className="facts">
        <dt>Requested</dt>
        <dd data-testid="driver-requested">{driver.requested}</dd>
        <dt>Loader</dt>
        <dd data-testid="loader-info">
          {loader.library}{' '}
          {loader.loaded ? (loader.version ? `(loaded, ${loader.version})` : '(loaded)') : '(not loaded)'}
        </dd>
        {driver.profiles && driver.profiles.length > 0 ? (
          <>
            <dt>Profiles</dt>
            <dd>{driver.profiles.join(', ')}</dd>
          </>
        ) : null}
        {driver.simDriverPath ? (
          <>
            <dt>Simulator</dt>
            <dd className="path">{driver.simDriverPath}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

interface EngineInfo {
  ordinal: number;
  kind: string;
  numQueues: number;
}

interface TileInfo {
  subdeviceId: number;
  euCount?: number;
  engines: EngineInfo[];
}

function engineList(v: unknown): EngineInfo[] {
  return Array.isArray(v)
    ? (v as Partial<EngineInfo>[]).map((e, i) => ({
        ordinal: typeof e.ordinal === 'number' ? e.ordinal : i,
        kind: typeof e.kind === 'string' ? e.kind : 'other',
        numQueues: typeof e.numQueues === 'number' ? e.numQueues : 1,
      }))
    : [];
}

/**
 * Engines (queue groups) and sub-devices (tiles, each with its own engines) from a device's raw
 * properties. An older service reports only `subDeviceCount`: the tiles are then listed without engines.
 */
export function enginesOf(view: DevicePropertiesView | undefined): {
  engines: EngineInfo[];
  subDevices: number;
  tiles: TileInfo[];
} {
  const raw = view?.raw ?? {};
  const engines = engineList(raw.engines);
  const subDevices = typeof raw.subDeviceCount === 'number' ? raw.subDeviceCount : 0;
  const listed = Array.isArray(raw.subDevices) ? (raw.subDevices as Partial<TileInfo>[]) : [];
  const tiles: TileInfo[] =
    listed.length > 0
      ? listed.map((t, i) => ({
          subdeviceId: typeof t.subdeviceId === 'number' ? t.subdeviceId : i,
          ...(typeof t.euCount === 'number' ? { euCount: t.euCount } : {}),
          engines: engineList(t.engines),
        }))
      : Array.from({ length: subDevices }, (_, i) => ({ subdeviceId: i, engines: [] }));
  return { engines, subDevices: Math.max(subDevices, tiles.length), tiles };
}

function DeviceTable({
  devices,
  driverVersionFallback,
  properties,
}: {
  devices: DeviceSummary[];
  driverVersionFallback?: string;
  properties: Record<number, Async<DevicePropertiesView>>;
}) {
  return (
    <table className="devices" data-testid="device-list">
      <caption className="visually-hidden">Level Zero devices</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Memory</th>
          <th scope="col">Driver version</th>
          <th scope="col">PCI id</th>
          <th scope="col">Engines</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((device) => (
          <tr key={`${device.index}-${device.uuid ?? device.name}`} data-testid="device-row" tabIndex={0}>
            <td>{device.index}</td>
            <th scope="row" data-testid="device-name">
              {device.name}
              {device.simulated ? (
                <span className="badge badge-sim-small" title="Simulated device">
                  sim
                </span>
              ) : null}
            </th>
            <td data-testid="device-type">{formatDeviceType(device.type, device.integrated)}</td>
            <td data-testid="device-memory">{formatBytes(device.totalMemory)}</td>
            <td data-testid="device-driver-version">
              {device.driverVersion ?? driverVersionFallback ?? '—'}
            </td>
            <td className="mono">{formatPciId(device.vendorId, device.deviceId)}</td>
            <td data-testid="device-engines">
              <EngineTree state={properties[device.index]} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EngineTree({ state }: { state: Async<DevicePropertiesView> | undefined }) {
  if (!state || state.status === 'loading' || state.status === 'idle')
    return <span className="muted">…</span>;
  if (state.status === 'error')
    return (
      <span className="muted" title={state.error.message}>
        unavailable
      </span>
    );
  const { engines, subDevices, tiles } = enginesOf(state.value);
  return (
    <ul className="tree" aria-label="Engines and sub-devices">
      {engines.map((e) => (
        <li key={e.ordinal} data-testid="device-engine">
          {e.kind}{' '}
          <span className="muted">
            · group {e.ordinal} · {e.numQueues} queue{e.numQueues === 1 ? '' : 's'}
          </span>
        </li>
      ))}
      {subDevices > 0 ? (
        <li data-testid="device-subdevices">
          {subDevices} sub-device{subDevices === 1 ? '' : 's'}
          <ul className="tree">
            {tiles.map((t) => (
              <li key={t.subdeviceId} data-testid="device-tile">
                tile {t.subdeviceId}
                {t.euCount !== undefined ? <span className="muted"> · {t.euCount} EUs</span> : null}
                {t.engines.length > 0 ? (
                  <ul className="tree">
                    {t.engines.map((e) => (
                      <li key={e.ordinal}>
                        {e.kind}{' '}
                        <span className="muted">
                          · group {e.ordinal} · {e.numQueues} queue{e.numQueues === 1 ? '' : 's'}
                        </span>
                      </li>
                    ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        </li>
      ) : null}
    </ul>
  );
}

function EmptyState({ problem }: { problem?: Problem }) {
  return (
    <div className="callout callout-empty" data-testid="devices-empty" role="status">
      <h3 data-testid="problem-title">{problem?.title ?? 'No Level Zero devices found'}</h3>
      <p data-testid="problem-detail">
        {problem?.detail ?? 'The driver reported no devices.'}
        {problem ? <span className="code-tag">{problem.code}</span> : null}
      </p>
      <div className="hint" data-testid="problem-hint">
        <strong>What to do: </strong>
        {problem?.hint ??
          'Check that an Intel GPU driver is installed, or run with --driver sim to try the simulator.'}
      </div>
    </div>
  );
}

function ProblemCallout({ problem, partial }: { problem: Problem; partial?: boolean }) {
  return (
    <div className="callout callout-warning" data-testid="devices-problem" role="note">
      <h3>{partial ? `Some devices may be missing: ${problem.title}` : problem.title}</h3>
      <p>{problem.detail}</p>
      <p className="hint">
        <strong>What to do: </strong>
        {problem.hint}
      </p>
    </div>
  );
}
