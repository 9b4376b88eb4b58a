// The zod schemas that validate every message on arrival (the service, the Electron main process,
// `xpuscope record --to`): one params schema per method of the contract (contract.ts), the request
// envelope, the recording's pushes. Kept apart from contract.ts so the renderer's bundle has no zod.
import { z } from 'zod';
import type { MethodName, ParamsOf, Request } from './contract.js';
import { ENGINE_KINDS } from './timeline.js';

const emptyParams = z.object({}).strict() as z.ZodType<Record<string, never>>;
const deviceIndex = z.number().int().min(0).max(1023);
/** A file path chosen by the user (Electron dialog); the service checks it further before use. */
const filePath = z.string().min(1).max(4096);

/** A capture id as the service makes them (`<boot>-<n>`). */
const captureId = z.string().regex(/^[a-z0-9]{1,16}-[0-9]{1,12}$/);

/** Environment variable names as a shell accepts them. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/);

const engineKind = z.enum(ENGINE_KINDS);
const shortText = z.string().max(4096);
const recordProcessSchema = z
  .object({
    pid: z.number().int().nonnegative(),
    ppid: z.number().int().nonnegative(),
    command: shortText,
    traced: z.boolean(),
    untraced: shortText.optional(),
    end: shortText,
    ops: z.number().int().nonnegative(),
    dropped: z.number().int().nonnegative(),
    untimed: z.number().int().nonnegative(),
    lost: z.number().int().nonnegative(),
    inFlight: z.number().int().nonnegative(),
    error: shortText.optional(),
  })
  .strict();

/** 8 fixed columns, then up to 64 dependency ids; every value a finite number. */
const pushedOp = z.array(z.number().finite()).min(8).max(72);

export const recordPushSchema = z
  .object({
    lanes: z
      .array(
        z
          .object({
            lane: z
              .number()
              .int()
              .min(0)
              .max(1 << 20),
            device: z
              .number()
              .int()
              .min(0)
              .max(1 << 20),
            stream: z.number().finite(),
            engine: z
              .object({
                ordinal: z
                  .number()
                  .int()
                  .min(0)
                  .max(1 << 16),
                index: z
                  .number()
                  .int()
                  .min(0)
                  .max(1 << 16),
                kind: engineKind,
              })
              .strict(),
            source: z
              .object({
                pid: z.number().int().nonnegative(),
                process: shortText,
                device: shortText,
                queue: shortText,
              })
              .strict(),
          })
          .strict(),
      )
      .max(1024)
      .optional(),
    strings: z.array(shortText).max(4096).optional(),
    ops: z.array(pushedOp).max(20_000).optional(),
    processes: z.array(recordProcessSchema).max(256).optional(),
    nowNs: z.number().finite().optional(),
    done: z
      .object({
        exit: z.object({ code: z.number().int(), signal: z.string().max(32).optional() }).strict(),
        wallMs: z.number().finite().nonnegative(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const recordRequestSchema = z
  .object({
    command: z.string().min(1).max(4096),
    args: z.array(z.string().max(32_768)).max(1024),
    cwd: filePath.optional(),
    env: z
      .record(envName, z.string().max(32_768))
      .refine((e) => Object.keys(e).length <= 256, 'at most 256 variables')
      .optional(),
    driver: z.enum(['auto', 'system', 'sim']).optional(),
    profile: z.string().min(1).max(256).optional(),
    hostCalls: z.boolean().optional(),
  })
  .strict();

/** Params schema per method: unknown methods and wrong params are rejected before dispatch. */
export const paramSchemas: { [M in MethodName]: z.ZodType<ParamsOf<M>> } = {
  'devices.list': emptyParams,
  'service.hello': emptyParams,
  'devices.properties': z.object({ device: deviceIndex }).strict(),
  'scenario.list': emptyParams,
  'scenario.run': z
    .object({
      name: z.string().min(1).max(64),
      device: deviceIndex,
      params: z.record(z.string().max(64), z.union([z.number().finite(), z.string().max(256)])),
    })
    .strict(),
  'capture.state': emptyParams,
  'capture.control': z.object({ action: z.enum(['pause', 'resume', 'clear']) }).strict(),
  'diag.run': z
    .object({ level: z.union([z.literal(1), z.literal(2), z.literal(3)]), device: deviceIndex.optional() })
    .strict(),
  'captures.list': emptyParams,
  'captures.select': z
    .object({ id: captureId.optional(), follow: z.literal(true).optional() })
    .strict()
    .refine((p) => (p.id === undefined) !== (p.follow === undefined), 'give either id or follow: true'),
  'captures.close': z.object({ id: captureId }).strict(),
  'trace.export': z.object({ path: filePath.optional(), capture: captureId.optional() }).strict(),
  'trace.import': z
    .object({
      path: filePath.optional(),
      upload: z
        .string()
        .regex(/^[a-f0-9]{32}$/)
        .optional(),
      /** The file's name as the user chose it (uploads have none), shown in the captures list. */
      name: z.string().min(1).max(256).optional(),
    })
    .strict(),
  'record.start': recordRequestSchema,
  'record.stop': emptyParams,
  'record.state': emptyParams,
  'record.attach': z
    .object({ command: z.array(shortText).min(1).max(1024), simulated: z.boolean() })
    .strict(),
  'record.push': recordPushSchema,
};

export const requestSchema = z
  .object({
    id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    method: z.string().min(1).max(64),
    params: z.unknown().optional(),
  })
  .strict() satisfies z.ZodType<Request>;

/** Whether `name` is a method of the contract. */
export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(paramSchemas, name);
}
