// Scenario parameter checking: values from the app (numbers) or the CLI (strings) against the typed
// parameter list of a ScenarioInfo. Unknown names, non-integers for `int`, values out of [min, max] and
// unknown enum options are refused with a message that says what is allowed.
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
    const v = typeof raw === 'number' ? raw : raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(v))
      throw new ScenarioParamError(
        `${info.name}: ${p.name} must be a number, got "${String(raw)}".`,
        describeParam(p),
      );
    if (p.type === 'int' && !Number.isInteger(v))
      throw new ScenarioParamError(`${info.name}: ${p.name} must be an integer, got ${v}.`, describeParam(p));
    if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max))
      throw new ScenarioParamError(
        `${info.name}: ${p.name} = ${v} is out of range (${p.min ?? '-∞'}…${p.max ?? '∞'}${p.unit ? ` ${p.unit}` : ''}).`,
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
