/**
 * What the kernel needs from whatever executes code. The local TypeScript engine implements it, and the
 * p2p magic layer wraps it; the protocol layer knows nothing else about execution.
 */
import type { ErrorContent, JsonObject, MimeBundle } from './messages.js';

export type { ErrorContent };

export interface ExecuteRequest {
  code: string;
  silent: boolean;
  storeHistory: boolean;
  userExpressions: Record<string, string>;
  allowStdin: boolean;
  stopOnError: boolean;
  executionCount: number;
}

export interface DisplayOptions {
  displayId?: string | undefined;
  /** Replace the output already shown under displayId (update_display_data) instead of adding one. */
  update?: boolean;
}

/** Where a running cell's output goes; every method publishes on iopub under the cell's request. */
export interface OutputSink {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(data: MimeBundle, metadata: JsonObject, options?: DisplayOptions): void;
  clear(wait: boolean): void;
  result(data: MimeBundle, metadata: JsonObject): void;
  error(error: ErrorContent): void;
  /** Asks the client for a line of input (stdin channel); rejects when the client does not allow stdin. */
  input(prompt: string, password: boolean): Promise<string>;
}

export type UserExpressionResult = ({ status: 'ok'; data: MimeBundle; metadata: JsonObject }) | ({ status: 'error' } & ErrorContent);

export type ExecuteOutcome =
  | { status: 'ok'; userExpressions: Record<string, UserExpressionResult> }
  | ({ status: 'error' } & ErrorContent);

export interface CompleteResult {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  metadata: JsonObject;
}

export interface InspectResult {
  found: boolean;
  data: MimeBundle;
  metadata: JsonObject;
}

export type IsCompleteResult = { status: 'complete' | 'invalid' | 'unknown' } | { status: 'incomplete'; indent: string };

export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  codemirror_mode: string | JsonObject;
  pygments_lexer?: string;
}

export interface Executor {
  readonly languageInfo: LanguageInfo;
  readonly banner: string;
  execute(request: ExecuteRequest, output: OutputSink): Promise<ExecuteOutcome>;
  complete(code: string, cursorPos: number): Promise<CompleteResult>;
  inspect(code: string, cursorPos: number, detailLevel: number): Promise<InspectResult>;
  isComplete(code: string): Promise<IsCompleteResult>;
  /** Stops the running cell (if any); the executor stays usable. */
  interrupt(): void;
  shutdown(restart: boolean): Promise<void>;
}
