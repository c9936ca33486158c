/** The part of pngjs (CommonJS, no types of its own) that tsp2p uses. */
declare module 'pngjs' {
  export interface PackerOptions {
    colorType?: 0 | 2 | 4 | 6;
    inputColorType?: 0 | 2 | 4 | 6;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
    filterType?: number;
    deflateLevel?: number;
    deflateStrategy?: number;
  }
  export const PNG: {
    sync: {
      write(png: { width: number; height: number; data: Buffer }, options?: PackerOptions): Buffer;
    };
  };
}
