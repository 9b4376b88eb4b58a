// Error types. Messages follow PyTorch's torch.xpu wording so they stay recognisable.
import type { Problem } from '../protocol/index.js';
import { ZE_RESULTS } from './ze/results.generated.js';

/** Any error raised by the xpu runtime (torch raises RuntimeError/ValueError with the same texts). */
export class XpuError extends Error {
  /** Set when the error explains why the runtime could not start (NO_LOADER, NO_DRIVER, …). */
  problem?: Problem;
  constructor(message: string, options?: { cause?: unknown; problem?: Problem }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'XpuError';
    if (options?.problem) this.problem = options.problem;
  }
}

/** A Level Zero call returned something other than ZE_RESULT_SUCCESS. */
export class ZeError extends XpuError {
  readonly result: number;
  readonly resultName: string;
  readonly call: string;
  readonly explanation: string;
  constructor(call: string, result: number, context?: string) {
    const info = zeResultInfo(result);
    super(
      `${call} failed: ${info.name} (0x${(result >>> 0).toString(16)}): ${info.explanation}${context ? ` (${context})` : ''}`,
    );
    this.name = 'ZeError';
    this.result = result >>> 0;
    this.resultName = info.name;
    this.call = call;
    this.explanation = info.explanation;
  }
}

export function zeResultInfo(result: number): { name: string; explanation: string } {
  const info = ZE_RESULTS.get(result >>> 0);
  if (info) return { name: info.name, explanation: info.explanation };
  return {
    name: `ZE_RESULT_UNKNOWN_0x${(result >>> 0).toString(16)}`,
    explanation: 'result code not in ze_api.h',
  };
}

export function zeResultName(result: number): string {
  return zeResultInfo(result).name;
}

export const ZE_RESULT = {
  SUCCESS: 0,
  NOT_READY: 1,
  ERROR_UNINITIALIZED: 0x78000001,
  ERROR_UNSUPPORTED_FEATURE: 0x78000003,
  ERROR_UNSUPPORTED_SIZE: 0x78000009,
  ERROR_INVALID_KERNEL_NAME: 0x78000011,
} as const;

/** Throw a ZeError unless `result` is SUCCESS. */
export function check(call: string, result: number, context?: string): void {
  if (result !== 0) throw new ZeError(call, result, context);
}
