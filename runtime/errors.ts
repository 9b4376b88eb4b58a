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
  /** What it means in plain words and what to do, for results a user can act on (else undefined). */
  readonly advice: string | undefined;
  constructor(call: string, result: number, context?: string) {
    const info = zeResultInfo(result);
    const advice = ZE_ADVICE.get(result >>> 0);
    super(
      `${call} failed: ${info.name} (0x${(result >>> 0).toString(16)}): ${info.explanation}${context ? ` (${context})` : ''}` +
        (advice ? `. ${advice}` : ''),
    );
    this.name = 'ZeError';
    this.result = result >>> 0;
    this.resultName = info.name;
    this.call = call;
    this.explanation = info.explanation;
    this.advice = advice;
  }
}

/** Plain explanations and what to do, for the results a user meets in practice. */
const ZE_ADVICE = new Map<number, string>([
  [
    0x70000001,
    'The GPU was lost (it hung and was reset, was removed, or its driver was updated): work submitted ' +
      'to it did not complete and its memory contents are gone. Device queries still work; to run work ' +
      'again restart the program (check `dmesg` for a GPU hang or reset message, and update the GPU driver ' +
      'if it recurs)',
  ],
  [
    0x70000002,
    'The host ran out of memory for the driver: free memory (close other programs) or allocate less',
  ],
  [
    0x70000003,
    'The GPU is out of memory: free buffers you no longer need, call xpu.emptyCache(), or allocate less',
  ],
]);

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
  ERROR_DEVICE_LOST: 0x70000001,
  ERROR_UNINITIALIZED: 0x78000001,
  ERROR_UNSUPPORTED_FEATURE: 0x78000003,
  ERROR_UNSUPPORTED_SIZE: 0x78000009,
  ERROR_INVALID_KERNEL_NAME: 0x78000011,
} as const;

/** True for a ZeError saying the GPU was lost (ZE_RESULT_ERROR_DEVICE_LOST). */
export function isDeviceLost(e: unknown): e is ZeError {
  return e instanceof ZeError && e.result === ZE_RESULT.ERROR_DEVICE_LOST;
}

/** Throw a ZeError unless `result` is SUCCESS. */
export function check(call: string, result: number, context?: string): void {
  if (result !== 0) throw new ZeError(call, result, context);
}

/** A wait did not finish within its timeout (xpu.setWaitTimeout / `{ timeoutMs }`). */
export class XpuTimeoutError extends XpuError {
  readonly timeoutMs: number;
  readonly deviceIndex: number | undefined;
  readonly streamId: number | undefined;
  constructor(message: string, timeoutMs: number, where: { deviceIndex?: number; streamId?: number } = {}) {
    super(message);
    this.name = 'XpuTimeoutError';
    this.timeoutMs = timeoutMs;
    this.deviceIndex = where.deviceIndex;
    this.streamId = where.streamId;
  }
}
