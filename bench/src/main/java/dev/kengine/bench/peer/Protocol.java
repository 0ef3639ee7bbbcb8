package dev.kengine.bench.peer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The line protocol between the report and a peer process (PyTorch's {@code torch_peer.py}, ND4J's
 * {@link Nd4jServer}). Every message is one line of tab-separated fields; the first is the message's kind, the others
 * {@code key=value} (values hold no tab and no line break). The peer says first {@code ready\tversion=...} or
 * {@code unavailable\treason=...}; then, for each request line (kind {@code run}), it answers {@code ok\truns=R\t
 * seconds=s1,s2,...} (seconds per run of each repetition of R runs, timed inside the peer around the R runs) or
 * {@code error\tmessage=...}. A line {@code quit} ends it. Inputs and outputs travel in files named by the request
 * (little-endian float32, or int32 for labels).
 */
public final class Protocol {
    private Protocol() {}

    /** A parsed message: its kind and its fields, in order. */
    public record Message(String kind, Map<String, String> fields) {
        public String get(String key) {
            return fields.get(key);
        }

        /** A field that must be present. */
        public String need(String key) {
            String v = fields.get(key);
            if (v == null) {
                throw new IllegalArgumentException("message '" + kind + "' has no field '" + key + "'");
            }
            return v;
        }

        public int intField(String key) {
            return Integer.parseInt(need(key));
        }

        public long longField(String key) {
            return Long.parseLong(need(key));
        }

        public double doubleField(String key) {
            return Double.parseDouble(need(key));
        }
    }

    /** One line: the kind, then each field as key=value; tabs and line breaks in values become spaces. */
    public static String format(String kind, Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder(kind);
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            Object v = e.getValue();
            String text = v instanceof Double d ? Double.toString(d) : String.valueOf(v);
            sb.append('\t').append(e.getKey()).append('=').append(text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' '));
        }
        return sb.toString();
    }

    /** Parses one line; a field with no '=' is an error (a peer printing something else on its stdout). */
    public static Message parse(String line) {
        if (line == null) {
            throw new IllegalArgumentException("no line (the peer closed its output)");
        }
        String[] parts = line.strip().split("\t", -1);
        if (parts[0].isEmpty()) {
            throw new IllegalArgumentException("an empty line");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("field '" + parts[i] + "' is not key=value in: " + abbreviate(line));
            }
            fields.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        return new Message(parts[0], fields);
    }

    /**
     * The seconds per run of an {@code ok} reply's repetitions; every one finite and positive, at least one.
     *
     * @throws IllegalArgumentException if the reply is not {@code ok} or its figures are not that
     */
    public static double[] seconds(Message reply) {
        if (!reply.kind().equals("ok")) {
            throw new IllegalArgumentException(reply.kind().equals("error") ? "the peer failed: " + reply.get("message")
                    : "unexpected reply '" + reply.kind() + "'");
        }
        String list = reply.need("seconds");
        double[] s;
        try {
            s = Arrays.stream(list.split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seconds '" + abbreviate(list) + "' are not numbers");
        }
        if (s.length == 0 || Arrays.stream(s).anyMatch(v -> !(v > 0) || Double.isInfinite(v))) {
            throw new IllegalArgumentException("seconds '" + abbreviate(list) + "' must be finite and positive");
        }
        return s;
    }

    /** The seconds as a request or reply carries them: comma-separated, full precision. */
    public static String join(double[] seconds) {
        StringBuilder sb = new StringBuilder();
        for (double v : seconds) {
            sb.append(sb.isEmpty() ? "" : ",").append(String.format(Locale.ROOT, "%.9e", v));
        }
        return sb.toString();
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
