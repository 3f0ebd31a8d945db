/** Keeps the head and the tail of a stream, dropping the middle past `max` bytes. */
export class BoundedOutput {
  private head = Buffer.alloc(0);
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;
  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const headMax = Math.floor(this.max / 4);
    if (this.head.length < headMax) {
      const take = chunk.subarray(0, headMax - this.head.length);
      this.head = Buffer.concat([this.head, take]);
      chunk = chunk.subarray(take.length);
    }
    if (!chunk.length) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailMax = this.max - headMax;
    while (this.tailBytes > tailMax) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - tailMax;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  toString(): string {
    const tail = Buffer.concat(this.tail).toString('utf8');
    const head = this.head.toString('utf8');
    return this.dropped ? `${head}\n[... ${this.dropped} bytes dropped ...]\n${tail}` : head + tail;
  }
}
