/**
 * The kernel_info_reply's content: static for a kernel's life, so the IO thread answers it itself (a client's
 * first request, and its "are you ready?" while the main thread is busy starting up) and the main thread
 * the same words when a cell is running (then the request queues behind it, as in ipykernel).
 */
import { version } from '../version.js';
import type { LanguageInfo } from './executor.js';
import { PROTOCOL_VERSION, type JsonObject } from './messages.js';

export function kernelInfoContent(executor: { languageInfo: LanguageInfo; banner: string }): JsonObject {
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
