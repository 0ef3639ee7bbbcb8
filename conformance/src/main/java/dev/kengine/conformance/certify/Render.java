package dev.kengine.conformance.certify;

import dev.kengine.conformance.certify.Certificate.Failure;
import dev.kengine.conformance.certify.Certificate.Group;
import dev.kengine.conformance.certify.Certificate.OpRow;
import dev.kengine.conformance.certify.Certificate.Result;
import dev.kengine.conformance.certify.Certificate.ToleranceRow;
import dev.kengine.DType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The certificate as text for a terminal, as JSON, and as a self-contained HTML page. */
final class Render {
    /** Lines of a failure's message the text shows. */
    private static final int MESSAGE_LINES = 8;

    private Render() {}

    // =====================================================================================
    // Text
    // =====================================================================================

    static String text(Certificate c) {
        Certificate.Header h = c.header();
        StringBuilder sb = new StringBuilder();
        sb.append("kengine conformance certificate: ").append(verdict(c)).append("\n\n");
        line(sb, "backend", h.backend() + ", options: " + options(h.options()));
        line(sb, "device", h.device() + " (" + h.capabilities().computeUnits() + " compute units, "
                + h.capabilities().memoryBytes() / (1024 * 1024) + " MiB)");
        line(sb, "driver", h.driver() != null ? h.driver() : "not reported (the backend's details have no \"driver\")");
        line(sb, "dtypes", dtypes(h));
        if (!h.details().isEmpty()) {
            List<String> d = new ArrayList<>();
            h.details().forEach((k, v) -> d.add(k + ": " + v));
            line(sb, "details", String.join("; ", d));
        }
        line(sb, "kit", "kengine conformance kit " + h.kitVersion() + ", run through the JUnit Platform launcher");
        line(sb, "run", String.format(Locale.ROOT, "%s, %d checks in %.1f s: %d passed, %d failed, %d skipped",
                h.started(), c.checks(), h.seconds(), c.passed(), c.failed(), c.skipped()));
        line(sb, "reference", h.reference() != null ? "random numbers compared bit for bit with " + h.reference()
                + (h.referenceNote().isEmpty() ? "" : " (" + h.referenceNote() + ")") : "no cross-backend comparison: " + h.referenceNote());

        sb.append(String.format(Locale.ROOT, "%n%-22s %-8s %-12s %s%n", "op", "dtype", "result", "checks, tolerance applied and the worst error against it"));
        for (OpRow r : c.ops()) {
            String detail = switch (r.result()) {
                case UNSUPPORTED, NOT_CHECKED -> r.reason();
                case FAILED -> r.failed() + " of " + (r.passed() + r.failed()) + " checks failed" + skippedNote(r);
                case PASSED -> r.passed() + " checks passed" + skippedNote(r);
            };
            sb.append(String.format(Locale.ROOT, "%-22s %-8s %-12s %s%n", r.op(), dtype(r.dtype()), r.result().word, oneLine(detail)));
            if (r.result() == Result.PASSED || r.result() == Result.FAILED) {
                for (ToleranceRow t : r.tolerances()) {
                    sb.append("    ").append(t.name()).append(' ').append(t.phase()).append(" [").append(t.terms()).append("]: ")
                            .append(t.worst()).append('\n');
                }
                if (r.bitsCompared() > 0) {
                    sb.append(String.format(Locale.ROOT, "    bit for bit: %d of %d elements differ%n", r.bitsDiffering(), r.bitsCompared()));
                }
                if (r.result() == Result.PASSED && r.skipped() > 0) {
                    sb.append("    ").append(r.skipped()).append(" skipped: ").append(oneLine(r.reason())).append('\n');
                }
                for (String f : r.failedChecks()) {
                    sb.append("    FAILED ").append(f).append('\n');
                }
            }
        }

        sb.append("\nrandom numbers, bit for bit (CounterRandom: Philox4x32-10)\n");
        for (Group g : c.random()) {
            sb.append(String.format(Locale.ROOT, "  %-12s %s%s%n", g.result().word, g.name(), groupNote(g)));
        }

        sb.append(String.format(Locale.ROOT, "%nkit sections%s%n", " ".repeat(78) + "passed  failed skipped"));
        for (Group g : c.sections()) {
            sb.append(String.format(Locale.ROOT, "  %-88s %6d  %6d  %6d%n", clip(g.name(), 88), g.passed(), g.failed(), g.skipped()));
        }

        if (!c.failures().isEmpty()) {
            sb.append("\nfailures (").append(c.failures().size()).append(")\n");
            int n = 0;
            for (Failure f : c.failures()) {
                n++;
                sb.append(String.format(Locale.ROOT, "%3d. %s%n", n, f.check()));
                String[] lines = f.message().split("\n");
                for (int i = 0; i < Math.min(lines.length, MESSAGE_LINES); i++) {
                    sb.append("       ").append(lines[i]).append('\n');
                }
                if (lines.length > MESSAGE_LINES) {
                    sb.append("       … ").append(lines.length - MESSAGE_LINES).append(" more lines\n");
                }
            }
        }
        return sb.toString();
    }

    private static String verdict(Certificate c) {
        long unsupported = c.ops().stream().filter(r -> r.dtype() == Certificate.CHECKED && r.result() == Result.UNSUPPORTED).count();
        long rows = c.ops().stream().filter(r -> r.dtype() == Certificate.CHECKED).count();
        String ops = unsupported == 0 ? "every op supported" : unsupported + " of " + rows + " ops unsupported";
        if (c.failed() == 0 && c.passed() == 0) {
            return "FAILED (no check passed: " + c.checks() + " ran, every one skipped)";
        }
        return c.nothingFailed() ? "PASSED (nothing failed; " + ops + ")" : "FAILED (" + c.failed() + " checks failed; " + ops + ")";
    }

    private static String skippedNote(OpRow r) {
        return r.skipped() == 0 ? "" : ", " + r.skipped() + " skipped";
    }

    private static String groupNote(Group g) {
        String counts = g.passed() + g.failed() + g.skipped() <= 1 ? ""
                : " (" + g.passed() + " passed" + (g.failed() > 0 ? ", " + g.failed() + " failed" : "")
                        + (g.skipped() > 0 ? ", " + g.skipped() + " skipped" : "") + ")";
        return counts + (g.reason().isEmpty() || g.result() == Result.FAILED ? "" : ": " + oneLine(g.reason()));
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(String.format(Locale.ROOT, "%-11s %s%n", key, value));
    }

    static String options(Map<String, String> options) {
        if (options.isEmpty()) {
            return "none";
        }
        List<String> o = new ArrayList<>();
        options.forEach((k, v) -> o.add(k + "=" + v));
        return String.join(", ", o);
    }

    static String dtypes(Certificate.Header h) {
        List<String> stored = h.capabilities().dtypes().stream().sorted().map(Enum::name).toList();
        return String.join(", ", stored) + "; the kit checks every op in float32 and each other (op, dtype) pair it covers"
                + " (one row per pair below)";
    }

    private static String dtype(DType d) {
        return d.name().toLowerCase(Locale.ROOT);
    }

    static String oneLine(String s) {
        return s.replace('\n', ' ').replaceAll("\\s+", " ").trim();
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    // =====================================================================================
    // JSON
    // =====================================================================================

    static String json(Certificate c) {
        Certificate.Header h = c.header();
        Json j = new Json();
        j.open('{');
        j.key("verdict").value(c.nothingFailed() ? "passed" : "failed");
        j.key("kit").open('{');
        j.key("name").value("kengine conformance kit");
        j.key("version").value(h.kitVersion());
        j.close('}');
        j.key("backend").open('{');
        j.key("name").value(h.backend());
        j.key("options").open('{');
        h.options().forEach((k, v) -> j.key(k).value(v));
        j.close('}');
        j.key("device").value(h.device());
        j.key("driver").value(h.driver());
        j.key("computeUnits").value(h.capabilities().computeUnits());
        j.key("memoryBytes").value(h.capabilities().memoryBytes());
        j.key("dtypes").open('[');
        h.capabilities().dtypes().stream().map(Enum::name).sorted().forEach(j::value);
        j.close(']');
        j.key("checkedDtype").value(Certificate.CHECKED.name());
        j.key("details").open('{');
        h.details().forEach((k, v) -> j.key(k).value(v));
        j.close('}');
        j.close('}');
        j.key("reference").open('{');
        j.key("backend").value(h.reference());
        j.key("note").value(h.referenceNote());
        j.close('}');
        j.key("run").open('{');
        j.key("started").value(h.started());
        j.key("seconds").value(h.seconds());
        j.key("checks").value(c.checks());
        j.key("passed").value(c.passed());
        j.key("failed").value(c.failed());
        j.key("skipped").value(c.skipped());
        j.close('}');
        j.key("ops").open('[');
        for (OpRow r : c.ops()) {
            j.open('{');
            j.key("op").value(r.op().name());
            j.key("dtype").value(r.dtype().name());
            j.key("result").value(r.result().word);
            j.key("reason").value(r.reason().isEmpty() ? null : r.reason());
            j.key("checks").open('{');
            j.key("passed").value(r.passed());
            j.key("failed").value(r.failed());
            j.key("skipped").value(r.skipped());
            j.close('}');
            j.key("tolerances").open('[');
            for (ToleranceRow t : r.tolerances()) {
                j.open('{');
                j.key("name").value(t.name());
                j.key("phase").value(t.phase());
                j.key("rel").value(t.rel());
                j.key("refRel").value(t.refRel());
                j.key("abs").value(t.abs());
                j.key("signedZero").value(t.signedZero());
                j.key("reason").value(t.reason());
                j.key("elements").value(t.elements());
                j.key("disagreeing").value(t.disagreeing());
                j.key("worstRatio").value(t.worstRatio());
                j.key("worstError").value(t.worstError());
                j.key("boundAtWorst").value(t.boundAtWorst());
                j.close('}');
            }
            j.close(']');
            j.key("bitForBit").open('{');
            j.key("elements").value(r.bitsCompared());
            j.key("differing").value(r.bitsDiffering());
            j.close('}');
            j.key("failedChecks").open('[');
            r.failedChecks().forEach(j::value);
            j.close(']');
            j.close('}');
        }
        j.close(']');
        j.key("random").open('[');
        c.random().forEach(g -> group(j, g));
        j.close(']');
        j.key("sections").open('[');
        c.sections().forEach(g -> group(j, g));
        j.close(']');
        j.key("failures").open('[');
        for (Failure f : c.failures()) {
            j.open('{');
            j.key("check").value(f.check());
            j.key("message").value(f.message());
            j.close('}');
        }
        j.close(']');
        j.close('}');
        return j.toString() + "\n";
    }

    private static void group(Json j, Group g) {
        j.open('{');
        j.key("name").value(g.name());
        j.key("result").value(g.result().word);
        j.key("passed").value(g.passed());
        j.key("failed").value(g.failed());
        j.key("skipped").value(g.skipped());
        j.key("reason").value(g.reason().isEmpty() ? null : g.reason());
        j.close('}');
    }

    /** A small JSON writer: two-space indentation, non-finite numbers as null. */
    static final class Json {
        private final StringBuilder sb = new StringBuilder();
        private final List<Boolean> first = new ArrayList<>();
        private boolean afterKey;

        Json open(char bracket) {
            separate();
            sb.append(bracket);
            first.add(true);
            return this;
        }

        Json close(char bracket) {
            boolean empty = first.removeLast();
            if (!empty) {
                newline();
            }
            sb.append(bracket);
            return this;
        }

        Json key(String k) {
            separate();
            string(k);
            sb.append(": ");
            afterKey = true;
            return this;
        }

        Json value(String v) {
            separate();
            if (v == null) {
                sb.append("null");
            } else {
                string(v);
            }
            return this;
        }

        Json value(long v) {
            separate();
            sb.append(v);
            return this;
        }

        Json value(double v) {
            separate();
            sb.append(Double.isFinite(v) ? Double.toString(v) : "null");
            return this;
        }

        Json value(boolean v) {
            separate();
            sb.append(v);
            return this;
        }

        private void separate() {
            if (afterKey) {
                afterKey = false;
                return;
            }
            if (!first.isEmpty()) {
                if (!first.getLast()) {
                    sb.append(',');
                }
                first.set(first.size() - 1, false);
                newline();
            }
        }

        private void newline() {
            sb.append('\n').append("  ".repeat(first.size()));
        }

        private void string(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (ch < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                        } else {
                            sb.append(ch);
                        }
                    }
                }
            }
            sb.append('"');
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }

    // =====================================================================================
    // HTML
    // =====================================================================================

    static String html(Certificate c) {
        Certificate.Header h = c.header();
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>kengine conformance certificate: ")
                .append(esc(h.backend())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4}")
                .append(".passed{color:#17692b;font-weight:600}.failed{color:#b00020;font-weight:700}")
                .append(".unsupported,.not-checked{color:#7a6000}.small{font-size:.85em;color:#555}pre{white-space:pre-wrap;margin:0}")
                .append("\n</style></head><body>\n");
        sb.append("<h1>kengine conformance certificate: <span class=\"").append(c.nothingFailed() ? "passed" : "failed").append("\">")
                .append(esc(verdict(c))).append("</span></h1>\n<table>\n");
        row(sb, "backend", h.backend() + ", options: " + options(h.options()));
        row(sb, "device", h.device() + " (" + h.capabilities().computeUnits() + " compute units, "
                + h.capabilities().memoryBytes() / (1024 * 1024) + " MiB)");
        row(sb, "driver", h.driver() != null ? h.driver() : "not reported");
        row(sb, "dtypes", dtypes(h));
        for (Map.Entry<String, String> e : h.details().entrySet()) {
            row(sb, e.getKey(), e.getValue());
        }
        row(sb, "kit", "kengine conformance kit " + h.kitVersion());
        row(sb, "run", String.format(Locale.ROOT, "%s, %d checks in %.1f s: %d passed, %d failed, %d skipped",
                h.started(), c.checks(), h.seconds(), c.passed(), c.failed(), c.skipped()));
        row(sb, "reference", h.reference() != null ? h.reference() : "not run: " + h.referenceNote());
        sb.append("</table>\n<h2>Ops</h2>\n<table>\n<tr><th>op</th><th>dtype</th><th>result</th><th>checks</th>")
                .append("<th>tolerance applied</th><th>worst error against it</th></tr>\n");
        for (OpRow r : c.ops()) {
            List<String[]> lines = new ArrayList<>();
            for (ToleranceRow t : r.tolerances()) {
                lines.add(new String[] {t.name() + " " + t.phase() + " [" + t.terms() + "]", t.worst(), t.reason()});
            }
            if (r.bitsCompared() > 0) {
                lines.add(new String[] {"bit for bit", r.bitsDiffering() + " of " + r.bitsCompared() + " elements differ", ""});
            }
            if (r.result() == Result.UNSUPPORTED || r.result() == Result.NOT_CHECKED || lines.isEmpty()) {
                lines.clear();
                lines.add(new String[] {r.reason(), "", ""});
            }
            int span = lines.size();
            Iterator<String[]> it = lines.iterator();
            String[] firstLine = it.next();
            sb.append("<tr><td rowspan=\"").append(span).append("\">").append(r.op()).append("</td><td rowspan=\"").append(span)
                    .append("\">").append(dtype(r.dtype())).append("</td><td rowspan=\"").append(span).append("\" class=\"")
                    .append(r.result().word.replace(' ', '-')).append("\">").append(r.result().word).append("</td><td rowspan=\"")
                    .append(span).append("\">").append(r.passed()).append(" passed, ").append(r.failed()).append(" failed, ")
                    .append(r.skipped()).append(" skipped</td>");
            tolerance(sb, firstLine, r.result() == Result.UNSUPPORTED || r.result() == Result.NOT_CHECKED);
            sb.append("</tr>\n");
            while (it.hasNext()) {
                sb.append("<tr>");
                tolerance(sb, it.next(), false);
                sb.append("</tr>\n");
            }
        }
        sb.append("</table>\n<h2>Random numbers, bit for bit</h2>\n<table>\n<tr><th>check</th><th>result</th><th>cases</th><th>note</th></tr>\n");
        for (Group g : c.random()) {
            groupRow(sb, g);
        }
        sb.append("</table>\n<h2>Kit sections</h2>\n<table>\n<tr><th>section</th><th>result</th><th>cases</th><th>note</th></tr>\n");
        for (Group g : c.sections()) {
            groupRow(sb, g);
        }
        sb.append("</table>\n");
        if (!c.failures().isEmpty()) {
            sb.append("<h2>Failures (").append(c.failures().size()).append(")</h2>\n<table>\n<tr><th>check</th><th>message</th></tr>\n");
            for (Failure f : c.failures()) {
                sb.append("<tr><td>").append(esc(f.check())).append("</td><td><pre>").append(esc(f.message())).append("</pre></td></tr>\n");
            }
            sb.append("</table>\n");
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static void tolerance(StringBuilder sb, String[] line, boolean reasonOnly) {
        if (reasonOnly) {
            sb.append("<td colspan=\"2\">").append(esc(line[0])).append("</td>");
            return;
        }
        sb.append("<td>").append(esc(line[0]));
        if (!line[2].isEmpty()) {
            sb.append("<div class=\"small\">").append(esc(line[2])).append("</div>");
        }
        sb.append("</td><td>").append(esc(line[1])).append("</td>");
    }

    private static void groupRow(StringBuilder sb, Group g) {
        sb.append("<tr><td>").append(esc(g.name())).append("</td><td class=\"").append(g.result().word.replace(' ', '-')).append("\">")
                .append(g.result().word).append("</td><td>").append(g.passed()).append(" passed, ").append(g.failed())
                .append(" failed, ").append(g.skipped()).append(" skipped</td><td>").append(esc(g.reason())).append("</td></tr>\n");
    }

    private static void row(StringBuilder sb, String key, String value) {
        sb.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
