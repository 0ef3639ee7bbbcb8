package dev.kengine.bench.accuracy;

import dev.kengine.bench.accuracy.AccuracyCase.Input;
import dev.kengine.bench.accuracy.Accuracy.Cell;
import dev.kengine.bench.accuracy.Accuracy.Column;
import dev.kengine.bench.accuracy.Accuracy.Report;
import dev.kengine.bench.accuracy.Accuracy.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report of {@code ./engine accuracy} as a plain-text table or as Markdown, and its list of failures. */
public final class Table {
    private Table() {}

    /**
     * The plain-text table: a header saying what is measured on which devices, one line per row
     * (blank lines between op families), then the failures.
     *
     * @param r the report
     * @return the text, ending in a line break
     */
    public static String text(Report r) {
        StringBuilder sb = new StringBuilder();
        header(sb, r, "");
        int width = 10;
        for (Row row : r.rows()) {
            width = Math.max(width, row.output().row().length());
        }
        StringBuilder h1 = new StringBuilder(pad("case", width));
        StringBuilder h2 = new StringBuilder(pad("", width));
        for (Column c : r.columns()) {
            h1.append("  ").append(pad(c.column(), 14));
            h2.append("  ").append(lpad("ulp", 7)).append(lpad("tol", 7));
        }
        h1.append("  ").append(pad("torch", 7)).append("  ").append(pad("verdict", 30)).append("abs");
        h2.append("  ").append(lpad("ulp", 7));
        sb.append(h1.toString().stripTrailing()).append('\n').append(h2.toString().stripTrailing()).append('\n');
        String family = null;
        for (Row row : r.rows()) {
            if (family != null && !family.equals(row.aCase().family())) {
                sb.append('\n');
            }
            family = row.aCase().family();
            StringBuilder line = new StringBuilder(pad(row.output().row(), width));
            for (Column c : r.columns()) {
                Cell cell = row.cells().get(c.column());
                line.append("  ").append(lpad(ulp(cell), 7)).append(lpad(tol(cell), 7));
            }
            line.append("  ").append(lpad(ulp(row.torch()), 7)).append("  ").append(pad(verdict(r, row, true), 30))
                    .append(verdict(r, row, false));
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        footer(sb, r, "");
        return sb.toString();
    }

    /**
     * The same report as Markdown: the header as a paragraph, the table, the failures as a list.
     *
     * @param r the report
     * @return the Markdown, ending in a line break
     */
    public static String markdown(Report r) {
        StringBuilder sb = new StringBuilder();
        header(sb, r, "");
        sb.append('\n').append("| case |");
        StringBuilder rule = new StringBuilder("|---|");
        for (Column c : r.columns()) {
            sb.append(' ').append(c.column()).append(" ulp | ").append(c.column()).append(" tol |");
            rule.append("--:|--:|");
        }
        sb.append(" PyTorch ulp | verdict | abs |\n");
        rule.append("--:|---|---|\n");
        sb.append(rule);
        for (Row row : r.rows()) {
            sb.append("| ").append(row.output().row().replace("|", "\\|")).append(" |");
            for (Column c : r.columns()) {
                Cell cell = row.cells().get(c.column());
                sb.append(' ').append(ulp(cell)).append(" | ").append(tol(cell)).append(" |");
            }
            sb.append(' ').append(ulp(row.torch())).append(" | ").append(verdict(r, row, true)).append(" | ")
                    .append(verdict(r, row, false)).append(" |\n");
        }
        footer(sb, r, "- ");
        return sb.toString();
    }

    private static void header(StringBuilder sb, Report r, String prefix) {
        sb.append("kengine accuracy: max error against the conformance kit's float64 oracle on float32 inputs\n")
                .append("  ulp: in ulps of the float32-rounded reference, the ulp floored at 2^-126; "
                        + "tol: the largest fraction of the kit's tolerance used (above 1 the kit fails)\n")
                .append("  verdict: max ulp <= 2 x PyTorch's max ulp + 1, except for dot products (matmul, linear), whose "
                        + "criterion is abs; abs: max |error| <= 2 x PyTorch's + 1 ulp of the output's largest magnitude "
                        + "(listed: the backends that fail)\n")
                .append("  backward rows: the backend's own forward output fed to its backward, against the exact gradient "
                        + "(as PyTorch's autograd); their tol from the kit's check with the rounded oracle output fed in\n");
        for (Column c : r.columns()) {
            sb.append(prefix).append(String.format(Locale.ROOT, "%s: %s, %.1f s%n", c.column(), r.devices().get(c.column()),
                    r.seconds().get(c.column())));
        }
        for (Map.Entry<String, String> e : r.unavailable().entrySet()) {
            sb.append(prefix).append(e.getKey()).append(": unavailable: ").append(e.getValue()).append('\n');
        }
        if (r.torchNote() == null) {
            sb.append(prefix).append("torch: PyTorch ").append(r.torchVersion()).append(", float32 on the CPU, 1 thread\n");
        } else {
            sb.append(prefix).append("torch: not present: ").append(r.torchNote()).append('\n');
        }
        sb.append('\n');
    }

    private static void footer(StringBuilder sb, Report r, String bullet) {
        List<String> fails = failures(r);
        List<String> absOnly = new ArrayList<>();
        List<String> kit = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Row row : r.rows()) {
            for (Column c : r.columns()) {
                Cell cell = row.cells().get(c.column());
                if (cell.error() != null) {
                    errors.add(row.output().row() + " on " + c.column() + ": " + cell.error());
                    continue;
                }
                if (cell.toleranceUsed() > 1) {
                    kit.add(String.format(Locale.ROOT, "%s on %s: %s of the kit's bound (%s)", row.output().row(), c.column(),
                            tol(cell), row.output().tol().op()));
                }
                Boolean ulpOk = Accuracy.criterion(row.aCase(), cell, row.torch());
                Boolean absOk = Accuracy.verdict(cell, row.torch(), false);
                if (Boolean.TRUE.equals(ulpOk) && Boolean.FALSE.equals(absOk)) {
                    absOnly.add(detail(row, c, cell));
                }
            }
            if (row.torch() != null && row.torch().error() != null) {
                errors.add(row.output().row() + " in PyTorch: " + row.torch().error());
            }
        }
        sb.append('\n');
        if (r.torchNote() != null) {
            sb.append("No verdicts: PyTorch is not present.\n");
        } else {
            int total = r.rows().size() * r.columns().size();
            sb.append(String.format(Locale.ROOT, "Failures of the criterion (max ulp > 2 x PyTorch's + 1; abs for dot products): %d of %d rows x backends%n",
                    fails.size(), total));
            for (String f : fails) {
                sb.append(bullet.isEmpty() ? "  " : bullet).append(f).append('\n');
            }
            sb.append(String.format(Locale.ROOT, "Failing only the absolute-error version: %d%n", absOnly.size()));
            for (String f : absOnly) {
                sb.append(bullet.isEmpty() ? "  " : bullet).append(f).append('\n');
            }
        }
        sb.append(String.format(Locale.ROOT, "Beyond the kit's tolerance (tol > 1): %d%n", kit.size()));
        for (String k : kit) {
            sb.append(bullet.isEmpty() ? "  " : bullet).append(k).append('\n');
        }
        if (!errors.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "Errors: %d%n", errors.size()));
            for (String e : errors) {
                sb.append(bullet.isEmpty() ? "  " : bullet).append(e).append('\n');
            }
        }
    }

    /**
     * Why {@code --strict} fails this report: no backend ran, no PyTorch verdicts, a failure of the criterion, an output
     * beyond the kit's tolerance, or an error on a backend. Empty when strict passes.
     */
    public static List<String> strictProblems(Report r) {
        List<String> out = new ArrayList<>();
        if (r.columns().isEmpty()) {
            out.add("no backend ran" + (r.unavailable().isEmpty() ? "" : " (" + r.unavailable() + ")"));
        }
        if (r.torchNote() != null) {
            out.add("no verdicts: PyTorch is not present (" + r.torchNote() + ")");
        }
        out.addAll(failures(r));
        for (Row row : r.rows()) {
            for (Column c : r.columns()) {
                Cell cell = row.cells().get(c.column());
                if (cell.error() == null && cell.toleranceUsed() > 1) {
                    out.add(row.output().row() + " on " + c.column() + ": beyond the kit's tolerance (" + tol(cell) + ")");
                }
            }
        }
        return out;
    }

    /**
     * Every row and backend failing the ulp criterion (or failing to run where PyTorch ran), with
     * its numbers and its worst element.
     *
     * @param r the report
     * @return one line each; empty when PyTorch is not present
     */
    public static List<String> failures(Report r) {
        List<String> out = new ArrayList<>();
        for (Row row : r.rows()) {
            for (Column c : r.columns()) {
                Cell cell = row.cells().get(c.column());
                if (Boolean.FALSE.equals(Accuracy.criterion(row.aCase(), cell, row.torch()))) {
                    out.add(cell.error() != null ? row.output().row() + " on " + c.column() + ": " + cell.error() : detail(row, c, cell));
                }
            }
        }
        return out;
    }

    private static String detail(Row row, Column c, Cell cell) {
        Measure e = cell.measure();
        Measure t = row.torch().measure();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%s on %s: %s ulp (PyTorch %s, limit %s); abs %.2g (PyTorch %.2g, limit %.2g%s)",
                row.output().row(), c.column(), num(e.maxUlp()), num(t.maxUlp()), num(2 * t.maxUlp() + 1), e.maxAbs(), t.maxAbs(),
                2 * t.maxAbs() + e.outputUlp(), Accuracy.absCriterion(e, t) ? "" : ", fails"));
        int i = e.worst();
        if (i >= 0) {
            sb.append("; worst at [").append(i).append(']');
            // The inputs at that index, where the op is elementwise (every input as long as the output).
            int n = row.output().expected().length;
            if (n > 1 && row.aCase().inputs().stream().allMatch(in -> in.values() != null && in.values().length == n)) {
                for (Input in : row.aCase().inputs()) {
                    sb.append(' ').append(in.name()).append('=').append(in.values()[i]);
                }
            }
            sb.append(": oracle ").append(value(row.output().expected()[i])).append(", ").append(c.column()).append(' ')
                    .append(value(cell.worstValue()[i])).append(", PyTorch ").append(value(row.torch().worstValue()[i]));
        }
        return sb.toString();
    }

    /** A value with nine significant digits, zeros with their sign. */
    private static String value(double v) {
        if (v == 0) {
            return Math.copySign(1.0, v) < 0 ? "-0" : "0";
        }
        return String.format(Locale.ROOT, "%.9g", v);
    }

    private static String verdict(Report r, Row row, boolean ulp) {
        if (row.torch() == null || row.torch().measure() == null) {
            return "n/a";
        }
        List<String> bad = new ArrayList<>();
        for (Column c : r.columns()) {
            Cell cell = row.cells().get(c.column());
            Boolean ok = ulp ? Accuracy.criterion(row.aCase(), cell, row.torch()) : Accuracy.verdict(cell, row.torch(), false);
            if (Boolean.FALSE.equals(ok)) {
                bad.add(c.shortName());
            }
        }
        return bad.isEmpty() ? "ok" : "FAIL " + String.join(",", bad);
    }

    /** A max ulp error for the table. */
    static String ulp(Cell cell) {
        if (cell == null) {
            return "-";
        }
        if (cell.measure() == null) {
            return "err";
        }
        return num(cell.measure().maxUlp());
    }

    /** A fraction of the kit's tolerance for the table. */
    static String tol(Cell cell) {
        if (cell == null || cell.measure() == null) {
            return "-";
        }
        double v = cell.toleranceUsed();
        if (Double.isInfinite(v)) {
            return "inf";
        }
        return v < 100 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.0e", v);
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return "inf";
        }
        if (v == 0) {
            return "0";
        }
        if (v < 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (v < 1e4) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.1e", v);
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    private static String lpad(String s, int w) {
        return s.length() >= w ? " " + s : " ".repeat(w - s.length()) + s;
    }
}
