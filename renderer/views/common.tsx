// Small building blocks shared by the views.
import type { ErrorPayload } from '../../protocol/contract.js';

export function ErrorCallout({
  title,
  error,
  testId,
}: {
  title: string;
  error: ErrorPayload;
  testId?: string;
}) {
  return (
    <div className="callout callout-error" data-testid={testId ?? 'request-error'} role="alert">
      <h3>{title}</h3>
      <p>
        {error.message} <span className="code-tag">{error.code}</span>
      </p>
      {error.hint ? <p className="hint">{error.hint}</p> : null}
    </div>
  );
}

/** A device picker over the current device list (nothing when there are no devices). */
export function DevicePicker({
  devices,
  value,
  onChange,
  label = 'Device',
  testId = 'device-picker',
}: {
  devices: { index: number; name: string }[];
  value: number;
  onChange: (device: number) => void;
  label?: string;
  testId?: string;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select data-testid={testId} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {devices.map((d) => (
          <option key={d.index} value={d.index}>
            {d.index}: {d.name}
          </option>
        ))}
      </select>
    </label>
  );
}
