package conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Aggregator;
import org.apache.kafka.streams.kstream.Initializer;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.Merger;
import org.apache.kafka.streams.kstream.Predicate;
import org.apache.kafka.streams.kstream.Reducer;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.kstream.ValueMapper;
import org.apache.kafka.streams.kstream.ValueMapperWithKey;
import org.apache.kafka.streams.kstream.Windowed;

/** The function catalog of conformance/README.md. Every function is null-safe exactly as the README says. */
final class Functions {
  private Functions() {}

  static String name(JsonNode f) {
    if (f == null || f.isNull()) throw new IllegalArgumentException("missing function");
    return f.isTextual() ? f.asText() : f.get("name").asText();
  }

  static JsonNode arg(JsonNode f) {
    return f.isObject() ? f.get("arg") : null;
  }

  /** A JSON constant as a Java value: string -> String, integral number -> Long, other number -> Double. */
  static Object constant(JsonNode a) {
    if (a == null || a.isNull()) return null;
    if (a.isTextual()) return a.asText();
    if (a.isIntegralNumber()) return a.asLong();
    if (a.isNumber()) return a.asDouble();
    if (a.isBoolean()) return a.asBoolean();
    throw new IllegalArgumentException("unsupported constant " + a);
  }

  static boolean equalsArg(Object v, JsonNode a) {
    if (v == null) return false;
    if (v instanceof Number n) {
      if (!a.isNumber()) return false;
      if (v instanceof Double || v instanceof Float) return n.doubleValue() == a.asDouble();
      return a.isIntegralNumber() && n.longValue() == a.asLong();
    }
    return a.isTextual() && v.equals(a.asText());
  }

  /** Arithmetic whose result has the class of the first operand (Long, Integer, Short or Double). */
  static Object arith(Object a, Object b, char op) {
    Number x = (Number) a;
    Number y = (Number) b;
    if (a instanceof Double) {
      double r = switch (op) {
        case '+' -> x.doubleValue() + y.doubleValue();
        case '-' -> x.doubleValue() - y.doubleValue();
        default -> x.doubleValue() * y.doubleValue();
      };
      return r;
    }
    long r = switch (op) {
      case '+' -> x.longValue() + y.longValue();
      case '-' -> x.longValue() - y.longValue();
      case '%' -> x.longValue() % y.longValue();
      default -> x.longValue() * y.longValue();
    };
    if (a instanceof Integer) return (int) r;
    if (a instanceof Short) return (short) r;
    return r;
  }

  static int compare(Object a, Object b) {
    if (a instanceof Double || b instanceof Double) return Double.compare(((Number) a).doubleValue(), ((Number) b).doubleValue());
    return Long.compare(((Number) a).longValue(), ((Number) b).longValue());
  }

  static String firstChar(Object s) {
    if (s == null) return null;
    String str = (String) s;
    return str.isEmpty() ? "" : str.substring(0, 1);
  }

  static Predicate<Object, Object> predicate(JsonNode f) {
    String n = name(f);
    JsonNode a = arg(f);
    return switch (n) {
      case "always" -> (k, v) -> true;
      case "never" -> (k, v) -> false;
      case "keyEquals" -> (k, v) -> equalsArg(k, a);
      case "valueEquals" -> (k, v) -> equalsArg(v, a);
      case "keyStartsWith" -> (k, v) -> k != null && ((String) k).startsWith(a.asText());
      case "valueStartsWith" -> (k, v) -> v != null && ((String) v).startsWith(a.asText());
      case "valueIsNull" -> (k, v) -> v == null;
      case "valueNotNull" -> (k, v) -> v != null;
      case "keyIsNull" -> (k, v) -> k == null;
      case "valueGreaterThan" -> (k, v) -> v != null && ((Number) v).doubleValue() > a.asDouble();
      case "valueEven" -> (k, v) -> v != null && ((Number) v).longValue() % 2 == 0;
      default -> throw new IllegalArgumentException("unknown predicate " + n);
    };
  }

  static ValueMapperWithKey<Object, Object, Object> valueMapper(JsonNode f) {
    String n = name(f);
    JsonNode a = arg(f);
    return switch (n) {
      case "upper" -> (k, v) -> v == null ? null : ((String) v).toUpperCase(java.util.Locale.ROOT);
      case "lower" -> (k, v) -> v == null ? null : ((String) v).toLowerCase(java.util.Locale.ROOT);
      case "length" -> (k, v) -> v == null ? null : (long) ((String) v).length();
      case "appendKey" -> (k, v) -> v == null ? null : v + "@" + k;
      case "plus" -> (k, v) -> v == null ? null : arith(v, constant(a), '+');
      case "times" -> (k, v) -> v == null ? null : arith(v, constant(a), '*');
      case "toStringValue" -> (k, v) -> v == null ? null : String.valueOf(v);
      case "parseLong" -> (k, v) -> v == null ? null : Long.parseLong((String) v);
      case "constant" -> (k, v) -> constant(a);
      case "toNull" -> (k, v) -> null;
      default -> throw new IllegalArgumentException("unknown value mapper " + n);
    };
  }

  static KeyValueMapper<Object, Object, Object> keyMapper(JsonNode f) {
    String n = name(f);
    JsonNode a = arg(f);
    return switch (n) {
      case "valueAsKey" -> (k, v) -> v;
      case "firstCharOfValue" -> (k, v) -> firstChar(v);
      case "firstCharOfKey" -> (k, v) -> firstChar(k);
      case "constantKey" -> (k, v) -> constant(a);
      case "windowedKeyToString" -> (k, v) -> {
        Windowed<?> w = (Windowed<?>) k;
        return w.key() + "@" + w.window().start() + "/" + w.window().end();
      };
      default -> throw new IllegalArgumentException("unknown key mapper " + n);
    };
  }

  static KeyValueMapper<Object, Object, KeyValue<Object, Object>> kvMapper(JsonNode f) {
    String n = name(f);
    JsonNode a = arg(f);
    return switch (n) {
      case "identity" -> KeyValue::pair;
      case "swap" -> (k, v) -> KeyValue.pair(v, k);
      case "firstCharOfValueAsKey" -> (k, v) -> KeyValue.pair(firstChar(v), v);
      case "withKey" -> (k, v) -> KeyValue.pair(constant(a), v);
      case "modKey" -> (k, v) -> KeyValue.pair(k == null ? null : arith(k, constant(a), '%'), v);
      default -> throw new IllegalArgumentException("unknown key-value mapper " + n);
    };
  }

  static List<String> words(Object v) {
    List<String> out = new ArrayList<>();
    if (v == null) return out;
    for (String w : ((String) v).split(" ")) if (!w.isEmpty()) out.add(w);
    return out;
  }

  static KeyValueMapper<Object, Object, Iterable<KeyValue<Object, Object>>> flatMapper(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "splitWordsToKeys" -> (k, v) -> {
        List<KeyValue<Object, Object>> out = new ArrayList<>();
        for (String w : words(v)) out.add(KeyValue.pair(w, w));
        return out;
      };
      default -> throw new IllegalArgumentException("unknown flat mapper " + n);
    };
  }

  static ValueMapper<Object, Iterable<Object>> flatValueMapper(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "splitWords" -> v -> new ArrayList<Object>(words(v));
      case "duplicate" -> v -> {
        List<Object> out = new ArrayList<>();
        out.add(v);
        out.add(v);
        return out;
      };
      default -> throw new IllegalArgumentException("unknown flat value mapper " + n);
    };
  }

  static Initializer<Object> initializer(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "zero" -> () -> 0L;
      case "zeroDouble" -> () -> 0.0;
      case "emptyString" -> () -> "";
      default -> throw new IllegalArgumentException("unknown initializer " + n);
    };
  }

  static Object concat(Object agg, Object v) {
    if (v == null) return agg;
    String a = (String) agg;
    return a == null || a.isEmpty() ? String.valueOf(v) : a + "," + v;
  }

  static Aggregator<Object, Object, Object> aggregator(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "count" -> (k, v, agg) -> arith(agg, 1L, '+');
      case "sum" -> (k, v, agg) -> v == null ? agg : arith(agg, v, '+');
      case "concatComma" -> (k, v, agg) -> concat(agg, v);
      case "subtractCount" -> (k, v, agg) -> arith(agg, 1L, '-');
      case "subtractSum" -> (k, v, agg) -> v == null ? agg : arith(agg, v, '-');
      case "removeComma" -> (k, v, agg) -> removeFirst((String) agg, v);
      default -> throw new IllegalArgumentException("unknown aggregator " + n);
    };
  }

  /** Removes the first occurrence of v from a comma-joined list (the inverse of concatComma). */
  static Object removeFirst(String agg, Object v) {
    if (v == null || agg == null) return agg;
    List<String> parts = new ArrayList<>(List.of(agg.isEmpty() ? new String[0] : agg.split(",", -1)));
    parts.remove(String.valueOf(v));
    return String.join(",", parts);
  }

  static Reducer<Object> reducer(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "sum" -> (a, b) -> arith(a, b, '+');
      case "subtractSum" -> (a, b) -> arith(a, b, '-');
      case "max" -> (a, b) -> compare(b, a) > 0 ? b : a;
      case "latest" -> (a, b) -> b;
      case "concatComma" -> (a, b) -> a + "," + b;
      case "removeComma" -> (a, b) -> removeFirst((String) a, b);
      default -> throw new IllegalArgumentException("unknown reducer " + n);
    };
  }

  static Merger<Object, Object> merger(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "sum" -> (k, a, b) -> arith(a, b, '+');
      case "concatComma" -> (k, a, b) -> {
        String x = (String) a;
        String y = (String) b;
        if (x == null || x.isEmpty()) return y;
        if (y == null || y.isEmpty()) return x;
        return x + "," + y;
      };
      default -> throw new IllegalArgumentException("unknown merger " + n);
    };
  }

  static ValueJoiner<Object, Object, Object> joiner(JsonNode f) {
    String n = name(f);
    return switch (n) {
      case "concatJoin" -> (l, r) -> String.valueOf(l) + "+" + String.valueOf(r);
      default -> throw new IllegalArgumentException("unknown joiner " + n);
    };
  }
}
