/** A time window `[start, end)` (session windows: `[start, end]`). */
export class Window {
  readonly start: number
  readonly end: number

  constructor(start: number, end: number) {
    this.start = start
    this.end = end
  }

  toString(): string {
    return `Window{startMs=${this.start}, endMs=${this.end}}`
  }
}

/** The key of a windowed aggregation: the record key plus its window. */
export class Windowed<K> {
  readonly key: K
  readonly window: Window

  constructor(key: K, window: Window) {
    this.key = key
    this.window = window
  }

  toString(): string {
    return `[${String(this.key)}@${this.window.start}/${this.window.end}]`
  }
}
