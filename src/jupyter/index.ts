/** The Jupyter side as a library: a client, a launcher and the kernelspec installer. */
export { KernelClient, type ExecuteOptions, type ExecuteResult } from './client.js';
export { launchKernel, findKernelspec, type LaunchOptions, type LaunchedKernel } from './launcher.js';
export { installKernelspec, kernelJson, KERNEL_NAME } from './kernelspec.js';
export type { Message, Header, MimeBundle } from './messages.js';
