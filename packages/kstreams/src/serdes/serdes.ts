import type { Serde } from './serde.ts'
import {
  BooleanSerde,
  ByteArraySerde,
  DoubleSerde,
  FloatSerde,
  IntegerSerde,
  JsonSerde,
  LongNumberSerde,
  LongSerde,
  ShortSerde,
  StringSerde,
  UuidSerde,
  VoidSerde
} from './internals/primitive-serdes.ts'

// Serdes are stateless, so one instance of each serves every caller.
const STRING = new StringSerde()
const LONG = new LongSerde()
const LONG_NUMBER = new LongNumberSerde()
const INTEGER = new IntegerSerde()
const SHORT = new ShortSerde()
const FLOAT = new FloatSerde()
const DOUBLE = new DoubleSerde()
const BOOLEAN = new BooleanSerde()
const UUID = new UuidSerde()
const BYTE_ARRAY = new ByteArraySerde()
const VOID = new VoidSerde()
const JSON_SERDE = new JsonSerde<unknown>()

/**
 * The built-in serdes, byte-compatible with Kafka's Java `Serdes`. Every serde maps `null` to `null`
 * (tombstones pass through). Serializers throw StreamsError('SERIALIZATION') on a value of the wrong type
 * or range; deserializers throw StreamsError('DESERIALIZATION') (with `topic`) on bytes of the wrong size.
 */
export const Serdes = {
  /** UTF-8 text, as Java's StringSerializer. */
  String: (): Serde<string> => STRING,
  /**
   * 8-byte big-endian two's complement, as Java's LongSerializer, exact for every 64-bit value,
   * hence `bigint`. Use {@link Serdes.LongNumber} to work with `number`s instead.
   */
  Long: (): Serde<bigint> => LONG,
  /**
   * The Long wire format as a JS `number`. Serializing a non-integer or a value outside ±(2^53-1) throws
   * StreamsError('SERIALIZATION'); reading such a value throws StreamsError('DESERIALIZATION').
   */
  LongNumber: (): Serde<number> => LONG_NUMBER,
  /** 4-byte big-endian signed integer, as Java's IntegerSerializer. */
  Integer: (): Serde<number> => INTEGER,
  /** 2-byte big-endian signed integer, as Java's ShortSerializer. */
  Short: (): Serde<number> => SHORT,
  /** IEEE-754 single precision, big-endian (values are rounded to float precision). */
  Float: (): Serde<number> => FLOAT,
  /** IEEE-754 double precision, big-endian; NaN is written as 0x7ff8000000000000, as Java does. */
  Double: (): Serde<number> => DOUBLE,
  /** One byte, 1 for true and 0 for false; any other byte is rejected, as Java's BooleanDeserializer. */
  Boolean: (): Serde<boolean> => BOOLEAN,
  /** A UUID as its canonical string; the bytes are that string (lower-case), as Java's UUIDSerializer. */
  UUID: (): Serde<string> => UUID,
  /** Bytes as they are (no copy). */
  ByteArray: (): Serde<Buffer> => BYTE_ARRAY,
  /** Always `null`: for topics whose keys or values are absent. Non-null bytes are rejected. */
  Void: (): Serde<null> => VOID,
  /** Plain JSON (no schema, no header) in UTF-8. The parsed value is trusted to be a `T`. */
  Json: <T>(): Serde<T> => JSON_SERDE as Serde<T>
} as const
