package dev.kengine.bench.report;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** A minimal JSON writer (the report has no dependencies): maps, collections, strings, numbers, booleans, null. */
final class Json {
    private Json() {}

    static String write(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object o, int indent) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof String s) {
            string(sb, s);
        } else if (o instanceof Boolean b) {
            sb.append(b);
        } else if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            // JSON has no NaN or infinity: a measure that does not apply is null.
            sb.append(Double.isFinite(d)
                    ? new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros().toString()
                    : "null");
        } else if (o instanceof Number n) {
            sb.append(n.longValue());
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
                first = false;
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), indent + 1);
            }
            if (!first) {
                sb.append('\n').append("  ".repeat(indent));
            }
            sb.append('}');
        } else if (o instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object e : c) {
                sb.append(first ? "\n" : ",\n").append("  ".repeat(indent + 1));
                first = false;
                write(sb, e, indent + 1);
            }
            if (!first) {
                sb.append('\n').append("  ".repeat(indent));
            }
            sb.append(']');
        } else {
            string(sb, o.toString());
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
