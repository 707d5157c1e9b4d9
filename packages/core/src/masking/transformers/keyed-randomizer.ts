// A faker Randomizer driven by a keyed digest: seeding is four word copies, so a faker instance
// can be re-seeded per value cheaply. sfc32 (Chris Doty-Humphrey's small fast counter) gives
// the stream; the digest gives its 128-bit state.
import type { Randomizer } from "@faker-js/faker";

export class KeyedRandomizer implements Randomizer {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  /** Seed from the first 16 bytes of a digest. */
  seedFromDigest(digest: Buffer): void {
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12) | 1;
    for (let i = 0; i < 12; i++) this.nextUint32(); // mix the state before the first draw
  }

  seed(seed: number | number[]): void {
    const words = Array.isArray(seed) ? seed : [seed];
    [this.a, this.b, this.c, this.d] = [words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, (words[3] ?? 0) | 1].map((w) => w >>> 0) as [
      number,
      number,
      number,
      number,
    ];
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  // Arrow fields: faker calls next() detached from the object.
  nextUint32 = (): number => {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  };

  next = (): number => {
    // 53 random bits → [0, 1)
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  };
}
