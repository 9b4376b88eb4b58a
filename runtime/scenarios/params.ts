// Scenario parameter checking: values from the app (numbers) or the CLI (strings) against the typed
// parameter list of a ScenarioInfo. Unknown names, non-integers for `int`, values out of [min, max],
// strings that are not plain decimal numbers ("0x10", "5x", "1e1" for an integer) and unknown enum
// options are refused with a message that says what is allowed; every bad number is reported the same
// way: `concurrency: streams must be an integer from 1 to 32, got "0x10".`
import type { ScenarioInfo, ScenarioParam } from '../../protocol/views.js';

export type ParamValues = Record<string, number | string>;

export class ScenarioParamError extends Error {
  readonly code = 'INVALID_PARAMS';
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'ScenarioParamError';
    this.hint = hint;
  }
}

export function describeParam(p: ScenarioParam): string {
  if (p.type === 'enum') return `${p.name}: one of ${(p.options ?? []).join(', ')} (default ${p.default})`;
  const range =
    p.min !== undefined && p.max !== undefined
      ? ` ${p.min}…${p.max}`
      : p.min !== undefined
        ? ` ≥ ${p.min}`
        : p.max !== undefined
          ? ` ≤ ${p.max}`
          : '';
  return `${p.name}: ${p.type === 'int' ? 'integer' : 'number'}${range}${p.unit ? ` ${p.unit}` : ''} (default ${p.default})`;
}

const INT_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** What a numeric parameter accepts: "an integer from 1 to 32", "a number from 0.05 to 1000 ms". */
function expected(p: ScenarioParam): string {
  const kind = p.type === 'int' ? 'an integer' : 'a number';
  const unit = p.unit ? ` ${p.unit}` : '';
  if (p.min !== undefined && p.max !== undefined) return `${kind} from ${p.min} to ${p.max}${unit}`;
  if (p.min !== undefined) return `${kind} ≥ ${p.min}${unit}`;
  if (p.max !== undefined) return `${kind} ≤ ${p.max}${unit}`;
  return kind;
}

/** Defaults overlaid with `given`, each checked; throws ScenarioParamError. */
export function resolveParams(info: ScenarioInfo, given: ParamValues = {}): ParamValues {
  const out: ParamValues = {};
  const known = new Map(info.params.map((p) => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new ScenarioParamError(
        `Scenario "${info.name}" has no parameter "${name}".`,
        `Its parameters: ${info.params.map(describeParam).join('; ')}.`,
      );
    }
  }
  for (const p of info.params) {
    const raw = Object.prototype.hasOwnProperty.call(given, p.name) ? given[p.name] : undefined;
    if (raw === undefined) {
      out[p.name] = p.default;
      continue;
    }
    if (p.type === 'enum') {
      const v = String(raw);
      if (!(p.options ?? []).includes(v))
        throw new ScenarioParamError(
          `${info.name}: ${p.name} must be one of ${(p.options ?? []).join(', ')}, got "${v}".`,
        );
      out[p.name] = v;
      continue;
    }
    // Strings (a command line) must be plain decimal: "0x10", "1e1" for an integer, "5x" or "" are
    // refused rather than read as 16, 10, NaN. Every bad number gets the same message shape.
    const text = typeof raw === 'string' ? raw.trim() : undefined;
    const v =
      text !== undefined
        ? (p.type === 'int' ? INT_TEXT : NUMBER_TEXT).test(text)
          ? Number(text)
          : NaN
        : typeof raw === 'number'
          ? raw
          : NaN;
    const shown = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
    const valid = Number.isFinite(v) && (p.type !== 'int' || Number.isInteger(v));
    const inRange = valid && !((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max));
    if (!inRange)
      throw new ScenarioParamError(
        `${info.name}: ${p.name} must be ${expected(p)}, got ${shown}${valid ? ' (out of range)' : ''}.`,
        describeParam(p),
      );
    out[p.name] = v;
  }
  return out;
}

export function num(params: ParamValues, name: string): number {
  const v = params[name];
  if (typeof v !== 'number') throw new ScenarioParamError(`parameter ${name} is missing or not a number`);
  return v;
}
