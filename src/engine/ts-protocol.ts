/** Requests to the TypeScript service (ts-serve.ts, in a thread or a process) and its answers: structured-clone safe. */
import type { CompleteResult, InspectResult, IsCompleteResult } from '../jupyter/executor.js';
import type { ConvertResult } from './typescript.js';

/** Each request with what it answers. `prevDecl`: the declarations of earlier cells. */
export interface TsCalls {
  convert: { args: { prevDecl: string; code: string }; result: ConvertResult };
  complete: { args: { prevDecl: string; code: string; cursor: number }; result: CompleteResult };
  inspect: { args: { prevDecl: string; code: string; cursor: number; detailLevel: number }; result: InspectResult };
  isComplete: { args: { code: string }; result: IsCompleteResult };
  declareGlobals: { args: { text: string }; result: null };
}

export type TsOp = keyof TsCalls;

export type TsRequest = { [K in TsOp]: { id: number; op: K; args: TsCalls[K]['args'] } }[TsOp];

export type TsAnswer =
  | { kind: 'answer'; id: number; ok: true; value: TsCalls[TsOp]['result'] }
  | { kind: 'answer'; id: number; ok: false; message: string }
  /** The service is built and warm (`ms`: how long that took in the thread). */
  | { kind: 'ready'; ms: number };
