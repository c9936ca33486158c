/**
 * A worker's slot processes. `--slots N` is how many tasks run at once; the pool may hold more processes
 * than that, because a process serves one member only (see Slot) and starting one costs ~0.1 s: two
 * members sharing a 1-slot worker with tiny tasks would otherwise start a process per task (measured:
 * 11 tasks/s instead of 1,100). So a member's process stays warm while it waits for its turn, up to
 * maxProcesses() in all (~45 MB each); past that, the least recently used idle one is replaced. Processes
 * beyond N that stay unused for IDLE_MS end, giving their memory back.
 *
 * Turns: while other members wait, a member keeps a running process fed (its next task sent ahead, the
 * warm path that makes tiny tasks fast) for at most QUANTUM_MS; then that process drains and another
 * member's starts. With nobody else waiting, a member keeps the slot as long as it has tasks.
 */
import { SLOT_DEPTH, type Slot } from './slot.js';

/** Two members per slot stay warm, and at least four members on a small worker. */
const maxProcesses = (capacity: number): number => Math.max(2 * capacity, capacity + 3);
const QUANTUM_MS = 100;
const IDLE_MS = 60_000;

type NewSlot = (index: number) => Slot;

export class SlotPool {
  readonly #slots: Slot[] = [];
  readonly #make: NewSlot;
  /** When each process last had a task, and since when it has run one member's tasks without a pause. */
  readonly #lastUsed = new Map<Slot, number>();
  readonly #busySince = new Map<Slot, number>();
  #reaping: NodeJS.Timeout;
  #made = 0;

  constructor(readonly capacity: number, make: NewSlot) {
    this.#make = make;
    for (let i = 0; i < capacity; i++) this.#add();
    this.#reaping = setInterval(() => this.#reapIdle(), IDLE_MS / 4);
    this.#reaping.unref();
  }

  get slots(): readonly Slot[] {
    return this.#slots;
  }

  /** How many slots have a task running or waiting in them (each counts towards `capacity`). */
  get busy(): number {
    return this.#slots.filter((s) => s.size > 0).length;
  }

  #add(): Slot {
    const slot = this.#make(this.#made++);
    this.#slots.push(slot);
    this.#lastUsed.set(slot, performance.now());
    return slot;
  }

  /**
   * Where a task of `owner` should go now, or null if it must wait: an idle process of theirs, an unowned
   * one, a new one, or the idle process unused longest (replaced); else, while its turn lasts, behind the
   * running task of one of theirs. `othersWaiting`: another member has tasks queued at the worker.
   */
  place(owner: string, othersWaiting: boolean): Slot | null {
    if (this.busy < this.capacity) {
      const idle = this.#slots.filter((s) => s.size === 0);
      const own = idle.find((s) => s.owner === owner) ?? idle.find((s) => s.owner === null);
      if (own) return own;
      if (this.#slots.length < maxProcesses(this.capacity)) return this.#add();
      const oldest = idle.sort((a, b) => (this.#lastUsed.get(a) ?? 0) - (this.#lastUsed.get(b) ?? 0))[0];
      if (oldest) return oldest;
    }
    const now = performance.now();
    const behind = this.#slots
      .filter((s) => s.size > 0 && s.size < SLOT_DEPTH && s.owner === owner)
      .filter((s) => !othersWaiting || now - (this.#busySince.get(s) ?? now) < QUANTUM_MS)
      .sort((a, b) => a.size - b.size);
    return behind[0] ?? null;
  }

  /** `slot` was handed a task. */
  used(slot: Slot, wasIdle: boolean): void {
    const now = performance.now();
    this.#lastUsed.set(slot, now);
    if (wasIdle) this.#busySince.set(slot, now);
  }

  /** Processes beyond `capacity` unused for IDLE_MS end. */
  #reapIdle(): void {
    const now = performance.now();
    for (const slot of [...this.#slots]) {
      if (this.#slots.length <= this.capacity) return;
      if (slot.size > 0 || now - (this.#lastUsed.get(slot) ?? now) < IDLE_MS) continue;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      this.#lastUsed.delete(slot);
      this.#busySince.delete(slot);
      void slot.close();
    }
  }

  ready(): Promise<void> {
    return Promise.all(this.#slots.map((s) => s.ready())).then(() => {});
  }

  async close(): Promise<void> {
    clearInterval(this.#reaping);
    await Promise.all(this.#slots.map((s) => s.close()));
  }
}
