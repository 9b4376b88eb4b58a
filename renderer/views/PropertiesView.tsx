// Device properties, grouped (identity, compute, memory, engines, timestamps, features), each value
// with the Level Zero query it came from on hover; a filter box; copy as JSON; two devices side by side.
import { useEffect, useState } from 'react';
import type { DeviceSummary } from '../../protocol/devices.js';
import type { DevicePropertiesView, PropertyEntry, PropertyValue } from '../../protocol/views.js';
import { formatBytes } from '../format.js';
import { useApp } from '../state/context.js';
import type { Async } from '../state/store.js';
import { DevicePicker, ErrorCallout } from './common.js';

const NO_DEVICES: DeviceSummary[] = [];
const BYTE_UNITS = new Set(['B']);

export function formatProperty(e: Pick<PropertyEntry, 'key' | 'value' | 'unit'>): string {
  const v: PropertyValue = e.value;
  if (v === null) return 'not reported';
  if (typeof v === 'number' && e.unit && BYTE_UNITS.has(e.unit)) return `${formatBytes(v)} (${v})`;
  if (typeof v === 'number' && (e.key === 'vendorId' || e.key === 'deviceId' || e.key === 'flags'))
    return `0x${v.toString(16)}`;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.join(', ');
  return e.unit ? `${String(v)} ${e.unit}` : String(v);
}

/** Entries whose key, label, value or source mention `filter` (case-insensitive). */
export function filterEntries(entries: PropertyEntry[], filter: string): PropertyEntry[] {
  const f = filter.trim().toLowerCase();
  if (!f) return entries;
  return entries.filter((e) =>
    `${e.key} ${e.label} ${formatProperty(e)} ${e.source}`.toLowerCase().includes(f),
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'visually-hidden';
    document.body.appendChild(ta);
    ta.select();
    let ok: boolean;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export function PropertiesView() {
  const devices = useApp((s) => (s.devices.status === 'ready' ? s.devices.list.devices : NO_DEVICES));
  const properties = useApp((s) => s.properties);
  const loadProperties = useApp((s) => s.loadProperties);
  const [left, setLeft] = useState(0);
  const [right, setRight] = useState<number | null>(null);
  const [filter, setFilter] = useState('');
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    for (const d of [left, right])
      if (d !== null && devices.some((x) => x.index === d) && !properties[d]) void loadProperties(d);
  }, [left, right, devices, properties, loadProperties]);

  const copy = async (d: number) => {
    const p = properties[d];
    if (p?.status !== 'ready') return;
    const ok = await copyText(JSON.stringify(p.value.raw, null, 2));
    setCopied(ok ? `Copied the properties of device ${d} as JSON.` : 'The clipboard is not available here.');
  };

  return (
    <section className="view" data-testid="properties-view" aria-labelledby="properties-heading">
      <header className="view-header">
        <h2 id="properties-heading">Properties</h2>
      </header>
      {devices.length === 0 ? (
        <p className="callout callout-empty" data-testid="properties-empty">
          No devices to show. See the Devices view (key 1) for why.
        </p>
      ) : (
        <>
          <div className="form-row">
            <DevicePicker devices={devices} value={left} onChange={setLeft} testId="properties-device" />
            <label className="toggle">
              <input
                type="checkbox"
                data-testid="properties-compare"
                checked={right !== null}
                onChange={(e) =>
                  setRight(e.target.checked ? (devices.find((d) => d.index !== left)?.index ?? left) : null)
                }
              />
              Compare side by side
            </label>
            {right !== null ? (
              <DevicePicker
                devices={devices}
                value={right}
                onChange={setRight}
                label="with"
                testId="properties-device-2"
              />
            ) : null}
            <label className="field field-grow">
              <span>Filter</span>
              <input
                type="search"
                data-testid="properties-filter"
                value={filter}
                placeholder="e.g. memory, fp64, zeDeviceGetComputeProperties"
                onChange={(e) => setFilter(e.target.value)}
              />
            </label>
          </div>
          {copied ? (
            <p className="muted" role="status" data-testid="properties-copied">
              {copied}
            </p>
          ) : null}
          <div className={right !== null ? 'properties-columns two' : 'properties-columns'}>
            {/* side by side, the sources would squeeze both columns: they stay one hover away there */}
            <PropertiesColumn
              state={properties[left]}
              filter={filter}
              sources={right === null}
              onCopy={() => void copy(left)}
            />
            {right !== null ? (
              <PropertiesColumn
                state={properties[right]}
                filter={filter}
                sources={false}
                onCopy={() => void copy(right)}
              />
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}

function PropertiesColumn({
  state,
  filter,
  sources,
  onCopy,
}: {
  state: Async<DevicePropertiesView> | undefined;
  filter: string;
  sources: boolean;
  onCopy: () => void;
}) {
  if (!state || state.status === 'loading' || state.status === 'idle')
    return (
      <p className="muted" role="status">
        Reading properties…
      </p>
    );
  if (state.status === 'error')
    return <ErrorCallout title="Could not read the properties" error={state.error} />;
  return <PropertiesPanel view={state.value} filter={filter} sources={sources} onCopy={onCopy} />;
}

/** Pure rendering of one device's grouped properties. */
export function PropertiesPanel({
  view,
  filter,
  sources = true,
  onCopy,
}: {
  view: DevicePropertiesView;
  filter: string;
  /** The Level Zero source in its own column (off side by side: then on hover). */
  sources?: boolean;
  onCopy?: () => void;
}) {
  return (
    <div className="properties-panel" data-testid="properties-panel">
      <div className="properties-title">
        <h3>
          {view.device}: {view.name}
          {view.simulated ? (
            <span className="badge badge-sim-small" title="Simulated device">
              sim
            </span>
          ) : null}
        </h3>
        <button type="button" data-testid="properties-copy" onClick={onCopy}>
          Copy as JSON
        </button>
      </div>
      {view.groups.every((g) => filterEntries(g.entries, filter).length === 0) ? (
        <p className="muted" data-testid="properties-no-match" role="status">
          No property matches “{filter}” (names, values and Level Zero sources are searched).
        </p>
      ) : null}
      {view.groups.map((g) => {
        const entries = filterEntries(g.entries, filter);
        if (entries.length === 0) return null;
        return (
          <section key={g.name} className="prop-group" data-testid={`prop-group-${g.name}`}>
            <h4>{g.name}</h4>
            <table className="props">
              <tbody>
                {entries.map((e) => (
                  <tr key={e.key} data-testid="prop-row" className={e.available ? undefined : 'unavailable'}>
                    <th scope="row" title={e.key}>
                      {e.label}
                    </th>
                    <td data-source={e.source} title={sources ? undefined : `Level Zero: ${e.source}`}>
                      {Array.isArray(e.value) && g.name === 'engines' ? (
                        <ul className="engine-list">
                          {e.value.map((line, i) => (
                            <li key={i}>{String(line)}</li>
                          ))}
                        </ul>
                      ) : (
                        formatProperty(e)
                      )}
                    </td>
                    {/* the Level Zero query it came from, visible as the CLI prints it */}
                    {sources ? (
                      <td className="prop-source" data-testid="prop-source">
                        {e.source}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </div>
  );
}
