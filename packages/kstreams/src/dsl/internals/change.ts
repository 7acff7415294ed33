/** The update a KTable forwards: new and (when requested downstream) old value. */
export class Change<V> {
  readonly newValue: V | null
  readonly oldValue: V | null
  readonly isLatest: boolean

  constructor(newValue: V | null, oldValue: V | null, isLatest = true) {
    this.newValue = newValue
    this.oldValue = oldValue
    this.isLatest = isLatest
  }

  toString(): string {
    return `(${String(this.newValue)}<-${String(this.oldValue)})`
  }
}
