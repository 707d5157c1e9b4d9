export declare function listFiles(dir: string): string[];
export declare function diffTrees(expectedDir: string, actualDir: string): string[];
