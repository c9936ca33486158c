/** The OutputSink of one execute_request: turns a cell's output into iopub messages parented to it. */
import { Tsp2pError } from '../errors.js';
import type { DisplayOptions, OutputSink } from './executor.js';
import type { ErrorContent, JsonObject, Message, MimeBundle, Outgoing } from './messages.js';

export interface InputBroker {
  /** Sends input_request on stdin and resolves with the input_reply's value. */
  request(parent: Message<unknown>, prompt: string, password: boolean): Promise<string>;
}

export class KernelOutput implements OutputSink {
  constructor(
    private readonly send: (out: Outgoing) => void,
    private readonly parent: Message<unknown>,
    private readonly executionCount: number,
    private readonly options: { silent: boolean; allowStdin: boolean; input: InputBroker },
  ) {}

  #publish(msgType: string, content: JsonObject): void {
    if (this.options.silent) return;
    this.send({ channel: 'iopub', msgType, content, parent: this.parent });
  }

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (text) this.#publish('stream', { name, text });
  }

  display(data: MimeBundle, metadata: JsonObject, options: DisplayOptions = {}): void {
    const transient = options.displayId ? { display_id: options.displayId } : {};
    this.#publish(options.update && options.displayId ? 'update_display_data' : 'display_data', { data, metadata, transient });
  }

  clear(wait: boolean): void {
    this.#publish('clear_output', { wait });
  }

  result(data: MimeBundle, metadata: JsonObject): void {
    this.#publish('execute_result', { execution_count: this.executionCount, data, metadata });
  }

  error(error: ErrorContent): void {
    this.#publish('error', { ...error });
  }

  input(prompt: string, password: boolean): Promise<string> {
    if (!this.options.allowStdin) return Promise.reject(Tsp2pError.STDIN_NOT_ALLOWED());
    return this.options.input.request(this.parent, prompt, password);
  }
}
