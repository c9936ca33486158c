/**
 * Rich output as data: a MIME bundle (`text/plain`, `image/png`, ...) and its metadata. The kernel sends
 * them as Jupyter messages; a worker's task makes them too, and the cluster carries them: so they live
 * here, apart from both the Jupyter protocol and the cluster.
 */
export type JsonObject = Record<string, unknown>;

export type MimeBundle = Record<string, unknown>;
