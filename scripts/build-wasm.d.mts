/** Types of scripts/build-wasm.mjs, for the test that checks the committed kernels against their sources. */
export declare const KERNELS: string[];
export declare const WORKER_KERNELS: string[];
export declare function assemble(watPath: string): Promise<Buffer>;
export declare function moduleText(name: string, bytes: Buffer): string;
