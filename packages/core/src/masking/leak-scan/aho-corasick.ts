// Aho-Corasick over bytes: every pattern found in one pass, streamed chunk by chunk (the state
// carries over chunk boundaries). Dense transitions over the byte classes the patterns use keep
// the inner loop to one table lookup per byte.

export interface Match {
  pattern: number;
  /** Offset of the match's first byte in the whole stream. */
  offset: number;
}

export class AhoCorasick {
  private readonly classOf = new Uint8Array(256);
  private readonly classes: number;
  private readonly delta: Int32Array;
  /** Per state: the pattern that ends here (or via suffix links), else -1. */
  private readonly output: Int32Array;
  /** Per state: the next state on the suffix chain that also ends a pattern, else -1. */
  private readonly outputLink: Int32Array;
  readonly lengths: number[];
  private state = 0;
  private position = 0;

  constructor(patterns: Buffer[]) {
    this.lengths = patterns.map((p) => p.length);
    let classes = 1; // class 0: bytes no pattern uses
    for (const p of patterns) for (const b of p) if (this.classOf[b] === 0) this.classOf[b] = classes++;
    this.classes = classes;
    // Trie
    const children: Map<number, number>[] = [new Map()];
    const ends: number[] = [-1];
    patterns.forEach((p, index) => {
      if (p.length === 0) throw new Error("an empty leak-scan probe would match everywhere");
      let s = 0;
      for (const b of p) {
        const c = this.classOf[b]!;
        let next = children[s]!.get(c);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          ends.push(-1);
          children[s]!.set(c, next);
        }
        s = next;
      }
      if (ends[s] === -1) ends[s] = index;
    });
    const n = children.length;
    this.delta = new Int32Array(n * classes);
    this.output = Int32Array.from(ends);
    this.outputLink = new Int32Array(n).fill(-1);
    const fail = new Int32Array(n);
    // Breadth-first: each state's transitions complete from its failure state's.
    const queue: number[] = [];
    for (let c = 0; c < classes; c++) {
      const next = children[0]!.get(c);
      this.delta[c] = next ?? 0;
      if (next !== undefined) queue.push(next);
    }
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      const f = fail[s]!;
      this.outputLink[s] = this.output[f]! >= 0 ? f : this.outputLink[f]!;
      for (let c = 0; c < classes; c++) {
        const next = children[s]!.get(c);
        if (next !== undefined) {
          fail[next] = this.delta[f * classes + c]!;
          this.delta[s * classes + c] = next;
          queue.push(next);
        } else {
          this.delta[s * classes + c] = this.delta[f * classes + c]!;
        }
      }
    }
  }

  get states(): number {
    return this.output.length;
  }

  /** Feed the next chunk; calls `onMatch` for every occurrence of every pattern. */
  feed(chunk: Uint8Array, onMatch: (m: Match) => void): void {
    const { delta, classOf, classes, output, outputLink } = this;
    let s = this.state;
    for (let i = 0; i < chunk.length; i++) {
      s = delta[s * classes + classOf[chunk[i]!]!]!;
      if (output[s]! >= 0 || outputLink[s]! >= 0) {
        for (let o = output[s]! >= 0 ? s : outputLink[s]!; o >= 0; o = outputLink[o]!) {
          const p = output[o]!;
          onMatch({ pattern: p, offset: this.position + i + 1 - this.lengths[p]! });
        }
      }
    }
    this.state = s;
    this.position += chunk.length;
  }

  reset(): void {
    this.state = 0;
    this.position = 0;
  }
}
