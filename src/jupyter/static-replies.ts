/**
 * Replies whose content is static for a kernel's life (kernel_info, comm_info: no comm targets exist), so
 * the IO thread answers them itself (a client's first request, and its "are you ready?" while the main
 * thread is busy starting up) and the main thread the same words when a cell is running (then the request
 * queues behind it, as in ipykernel). Keyed by request type.
 */
import { version } from '../version.js';
import type { LanguageInfo } from './executor.js';
import { PROTOCOL_VERSION, type JsonObject } from './messages.js';

export interface StaticReplies {
  kernel_info_request: JsonObject;
  comm_info_request: JsonObject;
}

export function staticReplies(executor: { languageInfo: LanguageInfo; banner: string }): StaticReplies {
  return { kernel_info_request: kernelInfoContent(executor), comm_info_request: { status: 'ok', comms: {} } };
}

function kernelInfoContent(executor: { languageInfo: LanguageInfo; banner: string }): JsonObject {
  return {
    status: 'ok',
    protocol_version: PROTOCOL_VERSION,
    implementation: 'tsp2p',
    implementation_version: version,
    language_info: { ...executor.languageInfo },
    banner: executor.banner,
    debugger: false,
    help_links: [
      { text: 'tsp2p', url: 'https://github.com/tsp2p/tsp2p#readme' },
      { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
      { text: 'Node.js API', url: 'https://nodejs.org/api/' },
    ],
  };
}
