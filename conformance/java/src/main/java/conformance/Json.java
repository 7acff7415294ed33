package conformance;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON exactly as JavaScript's {@code JSON.stringify(value, null, 2)} does, so the TypeScript side can compare
 * golden files as text. Maps keep their insertion order; numbers follow JavaScript's Number#toString.
 */
final class Json {
  private Json() {}

  static String stringify(Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value, "");
    return out.append('\n').toString();
  }

  private static void write(StringBuilder out, Object value, String indent) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      string(out, s);
    } else if (value instanceof Boolean b) {
      out.append(b);
    } else if (value instanceof Double || value instanceof Float) {
      out.append(number(((Number) value).doubleValue()));
    } else if (value instanceof Number n) {
      out.append(n.longValue());
    } else if (value instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        out.append("{}");
        return;
      }
      String inner = indent + "  ";
      out.append("{\n");
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) out.append(",\n");
        first = false;
        out.append(inner);
        string(out, (String) e.getKey());
        out.append(": ");
        write(out, e.getValue(), inner);
      }
      out.append('\n').append(indent).append('}');
    } else if (value instanceof List<?> l) {
      if (l.isEmpty()) {
        out.append("[]");
        return;
      }
      String inner = indent + "  ";
      out.append("[\n");
      boolean first = true;
      for (Object o : l) {
        if (!first) out.append(",\n");
        first = false;
        out.append(inner);
        write(out, o, inner);
      }
      out.append('\n').append(indent).append(']');
    } else {
      throw new IllegalArgumentException("not JSON: " + value.getClass());
    }
  }

  /** JavaScript's Number#toString for finite doubles (NaN and infinities become null, as in JSON.stringify). */
  static String number(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) return "null";
    if (d == 0) return "0";
    // Java 17's Double.toString is not always the shortest representation; try shorter decimals first.
    BigDecimal bd = null;
    for (int p = 1; p <= 17; p++) {
      BigDecimal c = new BigDecimal(d).round(new java.math.MathContext(p));
      if (c.doubleValue() == d) {
        bd = c;
        break;
      }
    }
    bd = bd.stripTrailingZeros();
    double abs = Math.abs(d);
    if (abs >= 1e-6 && abs < 1e21) return bd.toPlainString();
    String digits = bd.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - bd.scale();
    StringBuilder s = new StringBuilder();
    if (d < 0) s.append('-');
    s.append(digits.charAt(0));
    if (digits.length() > 1) s.append('.').append(digits, 1, digits.length());
    s.append('e').append(exp < 0 ? "-" : "+").append(Math.abs(exp));
    return s.toString();
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          boolean lone = false;
          if (Character.isHighSurrogate(c)) {
            lone = i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
            if (!lone) {
              out.append(c).append(s.charAt(++i));
              continue;
            }
          } else if (Character.isLowSurrogate(c)) {
            lone = true;
          }
          if (c < 0x20 || lone) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }
}
