// Types for ascii-bundle.mjs, for the tests that import it.
export declare function asciiOnly(file: string): Promise<void>;
