/** A fixed-capacity ring that also numbers what it has ever held, so readers can ask "since n". */
export class Ring<T> {
  private readonly items: T[] = [];
  /** How many items were ever pushed; the newest item has sequence number `pushed - 1`. */
  pushed = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.pushed % this.capacity] = item;
    this.pushed++;
  }

  get size(): number {
    return this.items.length;
  }

  /** The newest item, if any. */
  get last(): T | undefined {
    return this.pushed === 0 ? undefined : this.items[(this.pushed - 1) % this.capacity];
  }

  /** Items with sequence number ≥ `seq` that are still held, oldest first. */
  since(seq: number): T[] {
    const first = Math.max(seq, this.pushed - this.items.length);
    const out: T[] = [];
    for (let s = first; s < this.pushed; s++) out.push(this.items[s % this.capacity]!);
    return out;
  }
}
