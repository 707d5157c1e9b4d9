// Types for build.mjs, for the tests that import it.
import type { BuildOptions } from "esbuild";

export declare const repoRoot: string;
export declare const bundles: { entry: string; out: string; cli?: boolean; optional?: boolean }[];
export declare function bundleOptions(entry: string, outfile: string, opts?: { cli?: boolean }): BuildOptions & { metafile: true };
export declare function buildAll(outDir: string, opts?: { log?: { warn(message: string): void }; only?: string[] }): Promise<string[]>;
