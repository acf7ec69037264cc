/**
 * A binary min-heap ordered by a numeric priority. The scheduler and the worker runtime
 * pop the most urgent task many times per millisecond, so this stays minimal: no
 * decrease-key; callers drop stale entries when they pop them.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];
  private readonly prio: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T, priority: number): void {
    const items = this.items;
    const prio = this.prio;
    let i = items.length;
    items.push(item);
    prio.push(priority);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (prio[parent]! <= priority) break;
      items[i] = items[parent]!;
      prio[i] = prio[parent]!;
      i = parent;
    }
    items[i] = item;
    prio[i] = priority;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const items = this.items;
    const prio = this.prio;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const lastItem = items.pop()!;
    const lastPrio = prio.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && prio[right]! < prio[left]! ? right : left;
        if (prio[child]! >= lastPrio) break;
        items[i] = items[child]!;
        prio[i] = prio[child]!;
        i = child;
      }
      items[i] = lastItem;
      prio[i] = lastPrio;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
    this.prio.length = 0;
  }
}
