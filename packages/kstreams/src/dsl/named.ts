/** A name for a processor (and the prefix of names derived from it), as Kafka Streams' `Named`. */
export class Named {
  readonly name: string | undefined
  protected constructor(name: string | undefined) {
    this.name = name
  }

  static as(name: string): Named {
    return new Named(name)
  }
}
