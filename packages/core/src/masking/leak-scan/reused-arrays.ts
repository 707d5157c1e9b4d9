// Typed arrays reused from one load to the next (the one-pass scan's partitions): each name keeps
// one buffer, grown only when a load needs more, and each load gets views of the length it needs.
// Loading partition after partition then allocates nothing new, so no earlier partition's arrays
// wait for the garbage collector beside the next one (that is what drove the 10 M scan to 2.7 GB).
export class ReusedArrays {
  private readonly buffers = new Map<string, ArrayBuffer>();

  private buffer(name: string, bytes: number): ArrayBuffer {
    const had = this.buffers.get(name);
    if (had && had.byteLength >= bytes) return had;
    this.buffers.delete(name); // the smaller one is garbage before the bigger one is allocated
    const b = new ArrayBuffer(Math.max(8, bytes));
    this.buffers.set(name, b);
    return b;
  }

  u8(name: string, n: number): Uint8Array {
    return new Uint8Array(this.buffer(name, n), 0, n);
  }

  u16(name: string, n: number): Uint16Array {
    return new Uint16Array(this.buffer(name, 2 * n), 0, n);
  }

  u32(name: string, n: number): Uint32Array {
    return new Uint32Array(this.buffer(name, 4 * n), 0, n);
  }

  i32(name: string, n: number): Int32Array {
    return new Int32Array(this.buffer(name, 4 * n), 0, n);
  }

  /** Bytes held (every buffer at its largest): what one loaded partition costs. */
  get bytes(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.byteLength;
    return n;
  }
}
