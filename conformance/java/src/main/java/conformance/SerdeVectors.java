package conformance;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Byte vectors of Kafka's own serializers for edge values (golden/serdes.json, format in conformance/README.md). */
final class SerdeVectors {
  private SerdeVectors() {}

  private static final HexFormat HEX = HexFormat.of();

  private static <T> Map<String, Object> vector(Serde<T> serde, Object repr, T value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", repr);
    byte[] bytes = serde.serializer().serialize("t", value);
    m.put("hex", bytes == null ? null : HEX.formatHex(bytes));
    return m;
  }

  static Map<String, Object> all() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("description", "Bytes of Kafka's Java serializers (kafka-clients 4.3.1); see conformance/README.md");

    List<Object> longs = new ArrayList<>();
    long p53 = 1L << 53;
    for (Long v : new Long[] {0L, -1L, 1L, 255L, 256L, -256L, Long.MIN_VALUE, Long.MAX_VALUE, p53, p53 + 1, -(p53 + 1), null}) {
      longs.add(vector(Serdes.Long(), v == null ? null : v.toString(), v));
    }
    out.put("Long", longs);

    List<Object> ints = new ArrayList<>();
    for (Integer v : new Integer[] {0, -1, 1, 256, -256, Integer.MIN_VALUE, Integer.MAX_VALUE, null}) {
      ints.add(vector(Serdes.Integer(), v, v));
    }
    out.put("Integer", ints);

    List<Object> shorts = new ArrayList<>();
    for (Short v : new Short[] {0, -1, 1, 256, Short.MIN_VALUE, Short.MAX_VALUE, null}) {
      shorts.add(vector(Serdes.Short(), v, v));
    }
    out.put("Short", shorts);

    List<Object> doubles = new ArrayList<>();
    for (Double v : new Double[] {0.0, -0.0, 1.0, -1.5, 0.1, 9.0, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, (double) (p53 + 1), null}) {
      Map<String, Object> m = vector(Serdes.Double(), v == null ? null : Double.toString(v), v);
      m.put("bits", v == null ? null : String.format("%016x", Double.doubleToRawLongBits(v)));
      doubles.add(m);
    }
    out.put("Double", doubles);

    List<Object> floats = new ArrayList<>();
    for (Float v : new Float[] {0.0f, -0.0f, 1.5f, 0.1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, null}) {
      Map<String, Object> m = vector(Serdes.Float(), v == null ? null : Float.toString(v), v);
      m.put("bits", v == null ? null : String.format("%08x", Float.floatToRawIntBits(v)));
      floats.add(m);
    }
    out.put("Float", floats);

    List<Object> strings = new ArrayList<>();
    for (String v : new String[] {"", "hello", "a b\tc\n", "h\u00e9llo w\u00f6rld \u00ff", "\u65e5\u672c\u8a9e",
        "\ud83d\ude00 emoji \ud83c\udfac", "nul\u0000byte", "\u20ac", null}) {
      strings.add(vector(Serdes.String(), v, v));
    }
    out.put("String", strings);

    // Java replaces an unpaired surrogate with '?' when encoding UTF-8; decoding the bytes gives "a?b".
    List<Object> lossy = new ArrayList<>();
    for (String v : new String[] {"a\ud800b", "\udc00"}) {
      Map<String, Object> m = vector(Serdes.String(), v, v);
      m.put("decoded", Serdes.String().deserializer().deserialize("t", HEX.parseHex((String) m.get("hex"))));
      lossy.add(m);
    }
    out.put("StringUnpairedSurrogate", lossy);

    // Malformed UTF-8: Java's decoder substitutes U+FFFD; these pin how many replacement characters it emits.
    List<Object> malformed = new ArrayList<>();
    for (String hex : new String[] {"ff", "61c3", "eda080", "f09f98", "c0af", "e282ac80", "f4908080"}) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("hex", hex);
      m.put("decoded", Serdes.String().deserializer().deserialize("t", HEX.parseHex(hex)));
      malformed.add(m);
    }
    out.put("StringMalformedUtf8", malformed);

    List<Object> uuids = new ArrayList<>();
    for (String v : new String[] {"00000000-0000-0000-0000-000000000000", "123e4567-e89b-12d3-a456-426614174000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", null}) {
      uuids.add(vector(Serdes.UUID(), v, v == null ? null : UUID.fromString(v)));
    }
    out.put("UUID", uuids);

    List<Object> bytes = new ArrayList<>();
    for (String v : new String[] {"", "00", "00ff7f80", "68656c6c6f", null}) {
      bytes.add(vector(Serdes.ByteArray(), v, v == null ? null : HEX.parseHex(v)));
    }
    out.put("ByteArray", bytes);

    List<Object> bools = new ArrayList<>();
    for (Boolean v : new Boolean[] {true, false, null}) bools.add(vector(Serdes.Boolean(), v, v));
    out.put("Boolean", bools);

    List<Object> errors = new ArrayList<>();
    error(errors, "Long", Serdes.Long().deserializer(), "00000000");
    error(errors, "Integer", Serdes.Integer().deserializer(), "000000");
    error(errors, "Short", Serdes.Short().deserializer(), "00");
    error(errors, "Double", Serdes.Double().deserializer(), "00000000000000");
    error(errors, "Float", Serdes.Float().deserializer(), "000000");
    error(errors, "Boolean", Serdes.Boolean().deserializer(), "0001");
    error(errors, "Boolean", Serdes.Boolean().deserializer(), "02");
    error(errors, "UUID", Serdes.UUID().deserializer(), HEX.formatHex("not-a-uuid".getBytes(StandardCharsets.UTF_8)));
    out.put("deserializeErrors", errors);
    return out;
  }

  private static void error(List<Object> errors, String serde, Deserializer<?> d, String hex) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("serde", serde);
    m.put("hex", hex);
    try {
      Object v = d.deserialize("t", HEX.parseHex(hex));
      m.put("error", null);
      m.put("value", String.valueOf(v));
    } catch (RuntimeException e) {
      m.put("error", e.getClass().getName() + ": " + e.getMessage());
    }
    errors.add(m);
  }
}
