package dev.kengine.bench.accuracy;

import dev.kengine.Backend;
import dev.kengine.BackendOption;
import dev.kengine.Engine;
import dev.kengine.Scope;
import dev.kengine.bench.accuracy.AccuracyCase.Output;
import dev.kengine.bench.accuracy.AccuracyCase.Result;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./engine accuracy}: every op family on every available backend against the conformance
 * kit's float64 oracle, with PyTorch's float32 CPU result on the same inputs beside it. For each
 * output it reports the largest error in ulps of the float32-rounded reference (ulp floored at the
 * smallest normal, 2⁻¹²⁶), the largest fraction of the kit's tolerance used (above 1 the kit fails),
 * and the verdict of the criterion "at least as accurate as PyTorch's float32": the backend's max
 * ulp error ≤ 2 × PyTorch's + 1; beside it the same criterion on absolute errors, with 1 ulp of the
 * output's largest magnitude in place of the 1. Backward passes are measured end to end (the
 * backend's own forward output fed to its backward, against the exact gradient), as PyTorch's
 * autograd is; see {@link Cases}.
 */
public final class Accuracy {

    /**
     * A column: a backend opened with settings.
     *
     * @param column the column's name
     * @param backend the engine's backend name
     * @param settings the options it is opened with
     * @param shortName the name in the verdict columns
     */
    public record Column(String column, String backend, List<BackendOption.Setting> settings, String shortName) {
        Backend open() {
            return Engine.open(backend, settings.toArray(new BackendOption.Setting[0]));
        }
    }

    /** Every column, in table order: the CPU's vector kernels (forced on from the first call), its scalar ones, OpenCL, CUDA. */
    public static final List<Column> COLUMNS = List.of(
            new Column("cpu-simd", "cpu", List.of(BackendOption.CPU_SIMD.is(true)), "simd"),
            new Column("cpu-scalar", "cpu", List.of(BackendOption.CPU_SIMD.is(false)), "scalar"),
            new Column("opencl", "opencl", List.of(), "opencl"),
            new Column("cuda", "cuda", List.of(), "cuda"));

    /**
     * One backend's (or PyTorch's) result for one output.
     *
     * @param measure the errors; null on error
     * @param toleranceUsed the largest fraction of the kit's bound used; NaN for PyTorch
     * @param error why there is no result (the op failed or is unsupported); null when there is one
     * @param worstValue the value at {@link Measure#worst()}, for the failure list
     */
    public record Cell(Measure measure, double toleranceUsed, String error, float[] worstValue) {
        static Cell failed(String why) {
            return new Cell(null, Double.NaN, why, null);
        }
    }

    /**
     * A row: one output of one case, with a cell per measured column.
     *
     * @param aCase the case
     * @param output the output
     * @param cells by column name
     * @param torch PyTorch's cell; null when PyTorch is not present
     */
    public record Row(AccuracyCase aCase, Output output, Map<String, Cell> cells, Cell torch) {}

    /**
     * What a run measured.
     *
     * @param rows every row, in case order
     * @param columns the columns that ran
     * @param unavailable the columns that could not run, with the reason
     * @param seconds per column that ran, its time
     * @param devices per column that ran, its device
     * @param torchVersion torch's version; null when not present
     * @param torchNote why there is no PyTorch column; null when there is
     */
    public record Report(List<Row> rows, List<Column> columns, Map<String, String> unavailable, Map<String, Double> seconds,
                         Map<String, String> devices, String torchVersion, String torchNote) {}

    private Accuracy() {}

    /**
     * Measures the cases on the columns and, when {@code torch} is not null, in PyTorch.
     *
     * @param cases the cases
     * @param columns the columns to try; one that cannot be opened is reported unavailable
     * @param torch the PyTorch column; null to leave it out
     * @return the report
     */
    public static Report measure(List<AccuracyCase> cases, List<Column> columns, TorchColumn torch) {
        List<Row> rows = new ArrayList<>();
        for (AccuracyCase c : cases) {
            for (Output o : c.outputs()) {
                rows.add(new Row(c, o, new LinkedHashMap<>(), null));
            }
        }
        List<Column> ran = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, String> devices = new LinkedHashMap<>();
        for (Column col : columns) {
            Backend b;
            try {
                b = col.open();
            } catch (RuntimeException e) {
                unavailable.put(col.column(), e.getMessage());
                continue;
            }
            long t0 = System.nanoTime();
            try (b) {
                devices.put(col.column(), b.capabilities().deviceName());
                int r = 0;
                for (AccuracyCase c : cases) {
                    Result res = null;
                    String error = null;
                    try (Scope scope = Scope.open()) {
                        res = c.runner().run(b);
                    } catch (RuntimeException e) {
                        error = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    for (Output o : c.outputs()) {
                        rows.get(r++).cells().put(col.column(), error != null ? Cell.failed(error) : cell(o, res));
                    }
                }
            }
            ran.add(col);
            seconds.put(col.column(), (System.nanoTime() - t0) / 1e9);
        }
        String version = null;
        String note = null;
        if (torch != null) {
            TorchColumn.Results tr = torch.run(cases);
            version = tr.version();
            note = tr.notPresent();
            if (note == null) {
                for (int i = 0; i < rows.size(); i++) {
                    Row row = rows.get(i);
                    String err = tr.errors().get(row.aCase().name());
                    Map<String, float[]> v = tr.values().get(row.aCase().name());
                    Cell cell;
                    if (err != null || v == null || v.get(row.output().name()) == null) {
                        cell = Cell.failed(err != null ? err : "no output");
                    } else {
                        float[] a = v.get(row.output().name());
                        cell = a.length != row.output().expected().length
                                ? Cell.failed("PyTorch returned " + a.length + " values for " + row.output().expected().length)
                                : new Cell(Measure.of(row.output().expected(), a), Double.NaN, null, a);
                    }
                    rows.set(i, new Row(row.aCase(), row.output(), row.cells(), cell));
                }
            }
        } else {
            note = "left out (--no-torch)";
        }
        return new Report(rows, ran, unavailable, seconds, devices, version, note);
    }

    private static Cell cell(Output o, Result res) {
        float[] a = res.values().get(o.name());
        if (a == null) {
            return Cell.failed("no output " + o.name());
        }
        if (a.length != o.expected().length) {
            return Cell.failed("returned " + a.length + " values for " + o.expected().length);
        }
        Double kit = res.toleranceUsed().get(o.name());
        double used = kit != null ? kit : Measure.toleranceUsed(o.tol(), o.expected(), a, o.tolRef());
        return new Cell(Measure.of(o.expected(), a), used, null, a);
    }

    // ---------------------------------------------------------------------------------------------
    // The criterion
    // ---------------------------------------------------------------------------------------------

    /**
     * The criterion on ulps: the backend's max ulp error ≤ 2 × PyTorch's + 1.
     *
     * @param engine the backend's errors
     * @param torch PyTorch's errors
     * @return whether the backend is at least as accurate as PyTorch by this measure
     */
    public static boolean ulpCriterion(Measure engine, Measure torch) {
        return engine.maxUlp() <= 2 * torch.maxUlp() + 1;
    }

    /**
     * The criterion on absolute errors: the backend's max error ≤ 2 × PyTorch's + 1 ulp of the
     * output's largest magnitude.
     *
     * @param engine the backend's errors
     * @param torch PyTorch's errors
     * @return whether the backend passes
     */
    public static boolean absCriterion(Measure engine, Measure torch) {
        return engine.maxAbs() <= 2 * torch.maxAbs() + engine.outputUlp();
    }

    /** Whether a cell passes (null when there is nothing to compare with). */
    /**
     * Whether the case's outputs are dot products (matmul, batched matmul, the dense layer forward and backward): their
     * error is bounded by the sum of the terms' magnitudes, not by the result's, so an output that cancels to near 0
     * has an ulp error set by the summation order's luck on both sides; the criterion is then the absolute one.
     *
     * @param family the case's family
     * @return true for the dot-product families
     */
    static boolean dotProduct(String family) {
        return family.equals("matmul") || family.equals("batched matmul") || family.equals("linear")
                || family.equals("linear backward");
    }

    /**
     * Issue 21's criterion for a case: the ulp version for elementwise and row-wise ops (relative accuracy, tails
     * included), the absolute version for dot products ({@link #dotProduct}).
     *
     * @param c the case
     * @param engine the engine's cell
     * @param torch PyTorch's cell, or null
     * @return null where PyTorch gave no result
     */
    static Boolean criterion(AccuracyCase c, Cell engine, Cell torch) {
        return verdict(engine, torch, !dotProduct(c.family()));
    }

    static Boolean verdict(Cell engine, Cell torch, boolean ulp) {
        if (torch == null || torch.measure() == null) {
            return null;
        }
        if (engine.measure() == null) {
            return false;
        }
        return ulp ? ulpCriterion(engine.measure(), torch.measure()) : absCriterion(engine.measure(), torch.measure());
    }

    // ---------------------------------------------------------------------------------------------
    // The command line
    // ---------------------------------------------------------------------------------------------

    static final String USAGE = """
            usage: ./engine accuracy [--backends LIST] [--cases LIST] [--format text|markdown] [--no-torch]
                                     [--python PATH] [--torch-script PATH] [--strict]
              Measures every op family (activations forward and backward on their tails, near 0, on [-3,3]
              and on [-10,10]; softmax and log-softmax; every loss; softmax cross-entropy; SGD and Adam steps;
              sum, mean and l2Norm of 1e6 values, huge and tiny ones included; matmul with k up to 4097,
              batched; the dense layer forward and backward) on each available backend against the
              conformance kit's float64 oracle, with PyTorch's float32 CPU result on the same inputs.
              Per output and backend: the max error in ulps of the float32-rounded reference (ulp floored
              at 2^-126) and "tol", the largest fraction of the kit's tolerance used (above 1 the kit
              fails). The verdict is the criterion "at least as accurate as PyTorch": max ulp <= 2 x
              PyTorch's max ulp + 1; "abs" is the same on absolute errors, with 1 ulp of the output's
              largest magnitude for the 1. Backward rows feed the backend its own forward output, as
              PyTorch's autograd does; their tol comes from the kit's own check (the rounded oracle output fed in).
              --backends   cpu (both CPU columns), cpu-simd, cpu-scalar, opencl, cuda; comma-separated
                           (default: every one, each reported unavailable with its reason where it cannot run)
              --cases      keep the cases whose family or name contains one of these substrings
                           (comma-separated, case-insensitive), e.g. --cases tanh,matmul
              --format     text (default) or markdown, for the documentation
              --no-torch   leave out the PyTorch column
              --python     the Python with torch (default /usr/bin/python3 where it exists, else python3)
              --torch-script  the PyTorch side (default scripts/accuracy-torch.py)
              --strict     exit with status 1 when a case fails the criterion on a backend, an output is beyond
                           the kit's tolerance, a backend errs, no backend ran or PyTorch is not present""";

    /**
     * Runs the command.
     *
     * @param args the options, as {@link #USAGE} lists them
     */
    public static void main(String[] args) {
        List<Column> columns = new ArrayList<>(COLUMNS);
        List<String> filters = new ArrayList<>();
        boolean markdown = false;
        boolean noTorch = false;
        boolean strict = false;
        String python = TorchColumn.defaultPython();
        boolean pythonGiven = false;
        String script = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                case "--backends" -> columns = columns(value(args, ++i, a));
                case "--cases" -> filters.addAll(Arrays.stream(value(args, ++i, a).split(",")).filter(s -> !s.isBlank()).toList());
                case "--format" -> {
                    String f = value(args, ++i, a);
                    if (!f.equals("text") && !f.equals("markdown")) {
                        usageError("--format takes text or markdown, not " + f);
                    }
                    markdown = f.equals("markdown");
                }
                case "--no-torch" -> noTorch = true;
                case "--python" -> {
                    python = value(args, ++i, a);
                    pythonGiven = true;
                }
                case "--torch-script" -> script = value(args, ++i, a);
                case "--strict" -> strict = true;
                default -> usageError("unknown option " + a);
            }
        }
        if (strict && noTorch) {
            usageError("--strict judges against PyTorch, which --no-torch leaves out");
        }
        if (script != null && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(script))) {
            usageError("--torch-script " + script + ": no such file");
        }
        if (noTorch && (script != null || pythonGiven)) {
            usageError((script != null ? "--torch-script" : "--python") + " is for the PyTorch column, which --no-torch leaves out");
        }
        long t0 = System.nanoTime();
        List<AccuracyCase> cases = Cases.build(filters);
        if (cases.isEmpty()) {
            usageError("no case matches " + String.join(",", filters));
        }
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        TorchColumn torch = noTorch ? null : new TorchColumn(python, TorchColumn.findScript(script), 600);
        Report report = measure(cases, columns, torch);
        String out = markdown ? Table.markdown(report) : Table.text(report);
        System.out.print(out);
        System.out.printf(Locale.ROOT, "%ncases and oracle built in %.1f s; whole run %.1f s%n", buildSeconds, (System.nanoTime() - t0) / 1e9);
        if (strict) {
            List<String> problems = Table.strictProblems(report);
            if (!problems.isEmpty()) {
                System.err.println("accuracy: --strict: " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                        + ", the first: " + problems.getFirst());
                System.exit(1);
            }
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length || args[i].startsWith("--")) {
            usageError(option + " needs a value");
        }
        return args[i];
    }

    private static void usageError(String message) {
        System.err.println("accuracy: " + message + " (--help lists the options)");
        System.exit(2);
    }

    /** The columns a --backends list names. */
    static List<Column> columns(String list) {
        List<Column> out = new ArrayList<>();
        for (String name : list.split(",")) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            List<Column> matched = COLUMNS.stream().filter(c -> c.column().equals(n) || c.backend().equals(n)).toList();
            if (matched.isEmpty()) {
                usageError("unknown backend " + name + "; known: cpu, cpu-simd, cpu-scalar, opencl, cuda");
            }
            for (Column c : matched) {
                if (!out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }
}
