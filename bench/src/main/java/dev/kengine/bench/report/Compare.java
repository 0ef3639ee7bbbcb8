package dev.kengine.bench.report;

import dev.kengine.Backend;
import dev.kengine.BackendInfo;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import dev.kengine.bench.OpDescriptor;
import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.OpDescriptor.Instance;
import dev.kengine.bench.Ops;
import dev.kengine.bench.anchor.Anchor;
import dev.kengine.bench.anchor.ClBlastAnchor;
import dev.kengine.bench.anchor.NetlibAnchor;
import dev.kengine.bench.anchor.OpenClCopyKernel;
import dev.kengine.bench.TrainStep;
import dev.kengine.bench.peer.Peer;
import dev.kengine.bench.peer.PeerTask;
import dev.kengine.bench.peer.Peers;
import dev.kengine.op.Activation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./engine compare}: every backend side by side with the anchors, against this machine's
 * own measured ceilings. The report opens with its {@link Verdict} (the machine, its load during the
 * run, every target met or missed, headline sentences computed from the rows); then, for each
 * available backend and op: the result checked (the CPU backend against a float64 oracle, the others
 * against the CPU backend; max relative error), the time (warm-up, repetitions, median and spread,
 * synchronised), the throughput, the fraction of the relevant ceiling and the speed-up over the CPU
 * backend.
 *
 * <pre>
 * options: --quick             small sizes, short timings, no CLBlast and no peers (under a minute on 2 cores)
 *          --format text|json  what goes to stdout (default text)
 *          --html DIR          each run writes index.html, report.txt and report.json into its own dated folder
 *                              under DIR (default bench/target/compare/YYYY-MM-DDTHH-MM-SS/); --no-html for none
 *          --ops LIST          op names, families or name prefixes, comma-separated (matmul,act_relu,loss);
 *                              "training" selects the training section (run when --ops is absent)
 *          --backends LIST     backends, anchors and peers to run (default: all); --no-anchors, --no-peers
 *          --python PATH       the python3 with torch that runs the PyTorch peer (default /usr/bin/python3)
 *          --threads LIST      thread counts for the CPU backend and the CPU anchors (default 1,N)
 *          --sizes LIST        override every op's sizes (each at least 1)
 *          --tiny              tiny sizes and next to no timing (for tests of the report itself)
 * </pre>
 * A bad option is one line on stderr and exit code 2.
 */
public final class Compare {
    /** The backend every other one is checked against and compared with. */
    public static final String REFERENCE = "cpu";
    /** Backends that take a thread count (option {@code threads}); others run once. */
    static final List<String> THREADED_BACKENDS = List.of("cpu");
    static final long SEED = 20250101L;
    /** The anchors' names, as --backends takes them. */
    static final List<String> ANCHORS = List.of("openblas", "netlib-java", "clblast");
    /** The --ops name of the training section. */
    static final String TRAINING = "training";

    /**
     * The repository the command runs from: {@code ./engine} passes it as {@code kengine.home} (the JVM runs in the
     * caller's directory, where the command line's relative paths belong); the working directory otherwise.
     */
    public static Path home() {
        String h = System.getProperty("kengine.home");
        return h == null || h.isBlank() ? Path.of("") : Path.of(h);
    }

    /** Parsed options. */
    public record Options(boolean quick, String format, Path html, String ops, List<String> backends, boolean anchors,
                          List<Integer> threads, long[] sizes, Timing.Plan plan, double ceilingSeconds, long copyFloats,
                          boolean peers, String python) {

        public static Options parse(String... args) {
            boolean quick = false;
            String format = "text";
            Path html = Files.isDirectory(home().resolve("bench/target")) ? home().resolve("bench/target/compare")
                    : Path.of("kengine-compare");
            String ops = null;
            List<String> backends = null;
            boolean anchors = true;
            boolean peers = true;
            String python = Peers.DEFAULT_PYTHON;
            boolean pythonGiven = false;
            boolean htmlGiven = false;
            List<Integer> threads = null;
            long[] sizes = null;
            Timing.Plan plan = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--quick" -> quick = true;
                    case "--format" -> format = value(args, ++i, a);
                    case "--json" -> format = "json";
                    case "--html" -> {
                        html = Path.of(value(args, ++i, a));
                        htmlGiven = true;
                    }
                    case "--no-html" -> html = null;
                    case "--ops" -> ops = value(args, ++i, a);
                    case "--backends" -> backends = list(value(args, ++i, a), a);
                    case "--no-anchors" -> anchors = false;
                    case "--no-peers" -> peers = false;
                    case "--python" -> {
                        python = value(args, ++i, a);
                        pythonGiven = true;
                    }
                    case "--threads" -> threads = list(value(args, ++i, a), a).stream()
                            .map(t -> (int) positive(t, a, Integer.MAX_VALUE)).toList();
                    case "--sizes" -> sizes = list(value(args, ++i, a), a).stream()
                            .mapToLong(t -> positive(t, a, Integer.MAX_VALUE)).toArray();
                    case "--tiny" -> plan = Timing.Plan.TINY; // for tests: tiny sizes, next to no timing
                    case "-h", "--help" -> throw new IllegalArgumentException("help");
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            }
            if (!format.equals("text") && !format.equals("json")) {
                throw new IllegalArgumentException("--format must be text or json, got '" + format + "'");
            }
            if (ops != null) {
                checkOps(ops);
            }
            if (backends != null && !anchors) {
                for (String b : backends) {
                    if (ANCHORS.contains(b)) {
                        throw new IllegalArgumentException("--backends names the anchor " + b + " but --no-anchors leaves anchors out");
                    }
                }
            }
            if (backends != null && !peers) {
                for (String b : backends) {
                    if (Peers.NAMES.contains(b)) {
                        throw new IllegalArgumentException("--backends names the peer " + b + " but --no-peers leaves peers out");
                    }
                }
            }
            if (html != null && htmlGiven) {
                checkWritable(html);
            }
            int cores = Runtime.getRuntime().availableProcessors();
            if (threads == null) {
                threads = cores > 1 ? List.of(1, cores) : List.of(1);
            }
            if (plan == null) {
                plan = quick ? Timing.Plan.QUICK : Timing.Plan.FULL;
            }
            boolean tiny = plan == Timing.Plan.TINY;
            Options o = new Options(quick, format, html, ops, backends, anchors, threads, sizes, plan,
                    tiny ? 0.02 : quick ? 0.15 : 0.6, tiny ? 1 << 20 : quick ? 16L << 20 : 64L << 20, peers, python);
            if (pythonGiven && !o.wantsPeer(Peers.PYTORCH)) {
                throw new IllegalArgumentException("--python is for the PyTorch peer, which this run leaves out"
                        + (peers ? " (name pytorch in --backends, or run without --quick)" : " (--no-peers)"));
            }
            return o;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length || args[i].startsWith("--")) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        /**
         * The report folder given by --html, made now and checked writable: a bad one fails before minutes of
         * measuring, not after.
         */
        static void checkWritable(Path dir) {
            try {
                Files.createDirectories(dir);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("--html " + dir + ": cannot make the folder (" + e + ")");
            }
            if (!Files.isWritable(dir)) {
                throw new IllegalArgumentException("--html " + dir + ": the folder is not writable");
            }
        }

        /** A comma-separated list of non-empty items. */
        private static List<String> list(String value, String option) {
            List<String> items = Arrays.stream(value.split(",", -1)).map(String::trim).toList();
            if (items.stream().anyMatch(String::isEmpty)) {
                throw new IllegalArgumentException(option + " takes a comma-separated list with no empty item, got '" + value + "'");
            }
            return items;
        }

        /** A whole number from 1 to {@code max}. */
        private static long positive(String text, String option, long max) {
            long v;
            try {
                v = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " takes whole numbers, got '" + text + "'");
            }
            if (v < 1 || v > max) {
                throw new IllegalArgumentException(option + " values must be from 1 to " + max + ", got " + v);
            }
            return v;
        }

        /** Every --ops item must select an op (a name, family or name prefix) or be {@value Compare#TRAINING}. */
        private static void checkOps(String ops) {
            List<String> items = list(ops, "--ops");
            for (String item : items) {
                String t = item.toLowerCase(Locale.ROOT);
                if (!t.equals(TRAINING) && OpDescriptor.select(Ops.all(), t).isEmpty()) {
                    List<String> known = new ArrayList<>(new java.util.LinkedHashSet<>(Ops.all().stream()
                            .map(OpDescriptor::family).toList()));
                    known.add(TRAINING);
                    throw new IllegalArgumentException("--ops: '" + item + "' selects no op (give op names, name prefixes such as"
                            + " act_, or families: " + String.join(", ", known) + ")");
                }
            }
        }

        boolean wants(String name) {
            return backends == null || backends.contains(name);
        }

        /** Whether --quick leaves CLBlast out (its first call compiles for about 20 s): unless --backends names it. */
        boolean clblastSkippedByQuick() {
            return quick && backends == null;
        }

        /**
         * Whether the peer {@code name} runs: named in --backends, or with no --backends in a full report (not --quick,
         * not the tests' --tiny), unless --no-peers.
         */
        boolean wantsPeer(String name) {
            return peers && (backends != null ? backends.contains(name) : !quick && plan != Timing.Plan.TINY);
        }

        /** Whether the training section runs: with no --ops, or when --ops lists {@value #TRAINING}. */
        boolean wantsTraining() {
            return ops == null || ops.isBlank() || opTokens().contains(TRAINING);
        }

        /** The --ops filter without {@value #TRAINING}, for {@link OpDescriptor#select}; null for every op. */
        String opFilter() {
            if (ops == null || ops.isBlank()) {
                return null;
            }
            List<String> rest = opTokens().stream().filter(t -> !t.equals(TRAINING)).toList();
            return rest.isEmpty() ? "" : String.join(",", rest);
        }

        private List<String> opTokens() {
            return Arrays.stream(ops.split(",")).map(t -> t.trim().toLowerCase(Locale.ROOT)).filter(t -> !t.isEmpty()).toList();
        }
    }

    /** One thing measured: a backend at a thread count, or an anchor at a thread count. */
    record Impl(String label, String name, Backend backend, Anchor anchor, Peer peer, int threads) {
        boolean isBackend() {
            return backend != null;
        }

        boolean isPeer() {
            return peer != null;
        }

        String kind() {
            return isBackend() ? "backend" : isPeer() ? "peer" : "anchor";
        }
    }

    /** Everything the report found and measured, for the writers. */
    public record Report(Map<String, Object> machine, List<Ceilings.Ceiling> ceilings, List<DeviceCeiling> deviceCeilings,
                         List<BackendInfo> backends, List<Map<String, Object>> anchors, List<Row> rows,
                         List<Map<String, Object>> targets, List<Training.Result> training, boolean quick, double seconds) {}

    /**
     * A device backend's copy ceiling over the copy loop's floats, at least 16M, so past any device
     * cache: for OpenCL a plain copy kernel of one float4 per work-item outside the engine
     * ({@link OpenClCopyKernel}), for other devices (or where that cannot run) the backend's identity
     * activation, a kernel that reads and writes every float; {@code kernel} says which. The device's
     * memory-bound rows are read against it; its compute-bound rows have no measured ceiling (the
     * host's FMA loop says nothing about a GPU), and show none.
     */
    public record DeviceCeiling(String backend, String device, long floats, double copyGBs, String kernel) {}

    private static final String PLAIN_COPY = "plain float4 copy kernel";
    /**
     * This run's own folder under java.io.tmpdir (made on first use, private to the user, removed at the end): the
     * C harnesses built for it, the peers' inputs, outputs, script and logs, CLBlast's matrices. Two runs at once, or
     * two users, never read each other's files, and nothing from an earlier run is taken for this one's.
     */
    private Path runWork;
    private final Options options;
    private final PrintStream err;
    /** Each device backend's copy ceiling, by backend name, measured once when the backends open. */
    private final Map<String, DeviceCeiling> deviceCeilings = new LinkedHashMap<>();
    private final Progress progress;

    public Compare(Options options, PrintStream err) {
        this.options = options;
        this.err = err;
        this.progress = new Progress(err);
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int code = run(args, out, System.err);
        // Backends may hold non-daemon threads (worker pools); the report is done.
        System.exit(code);
    }

    /**
     * The command: parses {@code args}, runs the report, prints it to {@code out} and writes the report folder.
     * A bad option is one line on {@code err} and exit code 2; --help prints the usage and exits 0; a run in which
     * nothing could be measured (every backend named unavailable) exits 1 and writes no report.
     *
     * @return the process's exit code
     */
    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if ("help".equals(e.getMessage())) {
                out.println(usage());
                return 0;
            }
            err.println("compare: " + e.getMessage() + " (./engine compare --help lists the options)");
            return 2;
        }
        Report r;
        try {
            r = new Compare(o, err).run();
        } catch (OptionException e) {
            err.println("compare: " + e.getMessage() + " (./engine compare --help lists the options)");
            return 2;
        }
        if (r.rows().isEmpty() && r.training().isEmpty()) {
            // Every backend named was unavailable, or every anchor and peer absent: their reasons are above.
            err.println("compare: nothing was measured (the reasons are above); no report written");
            return 1;
        }
        String text = TextReport.write(r);
        String json = JsonReport.write(r);
        out.print(o.format().equals("json") ? json : text);
        if (o.html() != null) {
            try {
                Path dir = reportDir(o.html(), Instant.now());
                Path page = HtmlReport.write(r, dir);
                Files.writeString(dir.resolve("report.json"), json);
                Files.writeString(dir.resolve("report.txt"), text);
                err.println("compare: report written to " + dir.toAbsolutePath() + "/ (index.html, report.txt, report.json)");
                err.println("compare: open " + page.toAbsolutePath());
            } catch (IOException e) {
                // Checked before the run; the folder went away or filled up since.
                err.println("compare: could not write the report under " + o.html() + ": " + e);
                return 1;
            }
        }
        return 0;
    }

    /** An option that only the run itself can check (a backend name); one line on stderr and exit code 2. */
    static final class OptionException extends IllegalArgumentException {
        OptionException(String message) {
            super(message);
        }
    }

    private static final java.time.format.DateTimeFormatter FOLDER =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss").withZone(java.time.ZoneId.systemDefault());

    /**
     * This run's own folder under {@code base}, named by the local date and time ({@code 2026-12-06T19-50-00}), with
     * {@code -2}, {@code -3}, … appended when a run of the same second has one; created, so that a later run never
     * writes over an earlier one.
     */
    static Path reportDir(Path base, Instant when) throws IOException {
        Files.createDirectories(base);
        String name = FOLDER.format(when);
        for (int i = 1; ; i++) {
            Path dir = base.resolve(i == 1 ? name : name + "-" + i);
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // taken by a run of the same second: the next suffix
            }
        }
    }

    static String usage() {
        return """
                usage: ./engine compare [--quick] [--format text|json] [--html DIR | --no-html] [--ops LIST]
                                        [--backends LIST] [--no-anchors] [--threads LIST] [--sizes LIST]
                  --quick            small sizes and short timings, no CLBlast, no peers (under a minute on 2 cores)
                  --format text|json what goes to stdout (default text)
                  --html DIR         each run writes index.html, report.txt and report.json to its own dated folder
                                     under DIR (default bench/target/compare/YYYY-MM-DDTHH-MM-SS/); --no-html for none
                  --ops LIST         op names, families or prefixes (matmul,act_relu,loss), and "training" for the
                                     training section (every op and the training section when absent)
                  --backends LIST    backends, anchors and peers to run (cpu,opencl,cuda,openblas,netlib-java,clblast,
                                     pytorch,nd4j); a peer named here runs even with --quick
                  --no-anchors       no OpenBLAS, netlib-java or CLBlast
                  --no-peers         no PyTorch or ND4J (--quick leaves them out unless --backends names them)
                  --python PATH      the python3 with torch for the PyTorch peer (default /usr/bin/python3)
                  --threads LIST     thread counts of the CPU backend and the CPU anchors, each at least 1 (default 1,N)
                  --sizes LIST       every op's sizes, each at least 1 (matmul: the edge n; elementwise: elements)""";
    }

    /** Runs the whole report. */
    public Report run() {
        try {
            return measureAll();
        } finally {
            deleteWork();
        }
    }

    /** {@link #runWork}'s folder {@code sub}, made on first use. */
    private Path work(String sub) {
        try {
            if (runWork == null) {
                runWork = Files.createTempDirectory("kengine-compare-");
            }
            return Files.createDirectories(runWork.resolve(sub));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("compare: cannot make a work folder under "
                    + System.getProperty("java.io.tmpdir"), e);
        }
    }

    private void deleteWork() {
        if (runWork == null) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(runWork)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            err.println("compare: could not remove the run's work folder " + runWork + ": " + e.getMessage());
        }
        runWork = null;
    }

    private Report measureAll() {
        long start = System.nanoTime();
        Map<String, Object> machine = machine();
        CpuTimes cpuAtStart = CpuTimes.now();
        String filter = options.opFilter();
        List<OpDescriptor> ops = filter != null && filter.isEmpty() ? List.of() : OpDescriptor.select(Ops.all(), filter);
        if (filter == null && options.quick()) {
            // --quick keeps to a minute: the half-precision rows run in the full report, or when --ops names them.
            ops = ops.stream().filter(d -> !d.family().equals(Ops.HALF_PRECISION)).toList();
            err.println("compare: bf16 and fp16 rows skipped because of --quick (run without it, or name them in --ops)");
            machine.put("skipped_rows", "bf16 and fp16 rows: skipped because of --quick (run without it, or name them in --ops)");
        }
        if (ops.isEmpty() && !options.wantsTraining()) {
            List<String> known = new ArrayList<>(Ops.all().stream().map(OpDescriptor::name).toList());
            known.add(TRAINING);
            throw new OptionException("--ops " + options.ops() + " selects no op; known: " + known);
        }
        List<BackendInfo> infos = Engine.explain();
        if (options.backends() != null) {
            List<String> known = new ArrayList<>(infos.stream().map(BackendInfo::name).toList());
            known.addAll(ANCHORS);
            known.addAll(Peers.NAMES);
            for (String b : options.backends()) {
                if (!known.contains(b)) {
                    throw new OptionException("--backends: no backend, anchor or peer '" + b + "' (known: " + String.join(", ", known) + ")");
                }
            }
        }

        err.println("compare: measuring this machine's ceilings (FMA loop, copy loop; threads " + options.threads() + ")");
        List<Ceilings.Ceiling> ceilings = Ceilings.measure(options.threads(), options.copyFloats(), options.ceilingSeconds());
        for (Ceilings.Ceiling c : ceilings) {
            err.printf(Locale.ROOT, "compare:   %d thread%s: FMA %.1f GFLOP/s, copy loop %.1f GB/s (System.arraycopy %.1f GB/s)%n",
                    c.threads(), c.threads() == 1 ? "" : "s", c.fmaGflops(), c.copyGBs(), c.arraycopyGBs());
        }

        List<Impl> impls = new ArrayList<>();
        List<AutoCloseable> toClose = new ArrayList<>();
        Backend reference = null;
        for (BackendInfo info : infos) {
            if (!options.wants(info.name())) {
                continue;
            }
            if (!info.available()) {
                err.println("compare: backend " + info.name() + " unavailable: " + info.reason());
                continue;
            }
            List<Integer> counts = THREADED_BACKENDS.contains(info.name()) ? options.threads() : List.of(0);
            for (int t : counts) {
                try {
                    Backend b = Engine.open(info.name(), measured(info.name(), t));
                    toClose.add(b);
                    impls.add(new Impl(t == 0 ? info.name() : info.name() + "(" + t + "t)", info.name(), b, null, null, t));
                } catch (RuntimeException e) {
                    err.println("compare: backend " + info.name() + " failed to open: " + e.getMessage());
                }
            }
        }
        try {
            if (infos.stream().anyMatch(i -> i.name().equals(REFERENCE) && i.available())) {
                reference = Engine.open(REFERENCE, measured(REFERENCE, 0));
                toClose.add(reference);
            } else {
                err.println("compare: the reference backend '" + REFERENCE + "' is unavailable; results are checked against float64 samples only");
            }
        } catch (RuntimeException e) {
            err.println("compare: the reference backend failed to open: " + e.getMessage());
        }

        for (Impl impl : impls) {
            if (impl.threads() == 0) {
                measureDeviceCeiling(impl);
            }
        }

        List<Map<String, Object>> anchorInfo = new ArrayList<>();
        if (options.anchors()) {
            List<Anchor> anchors = new ArrayList<>();
            if (options.wants("openblas")) {
                anchors.add(NetlibAnchor.openBlas());
            }
            if (options.wants("netlib-java")) {
                anchors.add(NetlibAnchor.pureJava());
            }
            if (options.wants("clblast")) {
                if (options.clblastSkippedByQuick()) {
                    // Not a question of presence: --quick leaves it out whether or not it is installed.
                    Map<String, Object> m = anchorMap("clblast", false, null, null);
                    m.put("skipped", true);
                    m.put("reason", "skipped because of --quick (its first call compiles kernels for about 20 s); "
                            + "run without --quick, or name it in --backends, to measure it");
                    anchorInfo.add(m);
                    err.println("compare: anchor clblast skipped because of --quick");
                } else {
                    anchors.add(new ClBlastAnchor(work("clblast")));
                }
            }
            for (Anchor a : anchors) {
                toClose.add(a);
                String why = a.unavailableReason();
                anchorInfo.add(anchorMap(a.name(), why == null, why, a.implementation()));
                if (why != null) {
                    err.println("compare: anchor " + a.name() + " not present: " + why);
                    continue;
                }
                err.println("compare: anchor " + a.name() + ": " + a.implementation());
                for (int t : a.threaded() ? options.threads() : List.of(0)) {
                    impls.add(new Impl(t == 0 ? a.name() : a.name() + "(" + t + "t)", a.name(), null, a, null, t));
                }
            }
        }

        startPeers(impls, anchorInfo, toClose);

        // The work list, for the progress line.
        int total = 0;
        for (OpDescriptor d : ops) {
            for (long size : sizes(d)) {
                for (Impl i : impls) {
                    total += applies(i, d, size) ? 1 : 0;
                }
            }
        }
        if (options.plan() != Timing.Plan.TINY && !ops.isEmpty()) {
            preWarm(impls);
        }
        progress.start(total);
        List<Row> rows = new ArrayList<>();
        try {
            for (OpDescriptor d : ops) {
                for (long size : sizes(d)) {
                    rows.addAll(measureOpSize(d, size, impls, reference, ceilings, rows));
                    PeerTask task = PeerTask.of(d, size, SEED);
                    if (task != null) {
                        task.deleteInputs(work("peers"));
                    }
                }
            }
        } finally {
            progress.done();
            for (AutoCloseable c : toClose.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    err.println("compare: closing " + c + " failed: " + e);
                }
            }
        }
        // Measured again at the end, keeping the better figure of the two: a ceiling disturbed by
        // another process would otherwise make every fraction of it look too good.
        if (!rows.isEmpty()) {
            List<Ceilings.Ceiling> again = Ceilings.measure(options.threads(), options.copyFloats(), options.ceilingSeconds());
            List<Ceilings.Ceiling> best = new ArrayList<>();
            for (int i = 0; i < ceilings.size(); i++) {
                Ceilings.Ceiling a = ceilings.get(i);
                Ceilings.Ceiling b = again.get(i);
                best.add(new Ceilings.Ceiling(a.threads(), Math.max(a.fmaGflops(), b.fmaGflops()),
                        Math.max(a.copyGBs(), b.copyGBs()), Math.max(a.arraycopyGBs(), b.arraycopyGBs())));
            }
            for (Ceilings.Ceiling b : again) {
                // Both measurements are shown: the spread between them is how far this host's ceilings moved during
                // the run, and so how far the fractions of them can be trusted.
                err.printf(Locale.ROOT, "compare:   at the end, %d thread%s: FMA %.1f GFLOP/s, copy loop %.1f GB/s (System.arraycopy %.1f GB/s)%n",
                        b.threads(), b.threads() == 1 ? "" : "s", b.fmaGflops(), b.copyGBs(), b.arraycopyGBs());
            }
            boolean deviceBetter = remeasurePlainCopy();
            boolean sizedBetter = remeasureSizedCopies();
            if (!best.equals(ceilings) || deviceBetter || sizedBetter) {
                err.println("compare: ceilings measured again at the end; the higher figures are kept");
                List<Row> refreshed = new ArrayList<>();
                for (Row r : rows) {
                    refreshed.add(refraction(r, best));
                }
                rows = refreshed;
                ceilings = best;
            }
        }
        List<Training.Result> training = options.wantsTraining() ? training(infos) : List.of();
        machine.put("load_average_at_end", loadAverage());
        CpuTimes cpuAtEnd = CpuTimes.now();
        machine.put("other_processes_cores", cpuAtStart == null || cpuAtEnd == null ? null : cpuAtEnd.othersSince(cpuAtStart));
        double seconds = (System.nanoTime() - start) * 1e-9;
        return new Report(machine, ceilings, List.copyOf(deviceCeilings.values()), infos, anchorInfo, rows,
                Targets.evaluate(rows, options.threads()),
                training, options.quick(), seconds);
    }

    /**
     * The training section: the {@code ./engine train --data digits} network trained for a few
     * epochs and profiled on every available backend that --backends keeps, each opened afresh
     * with its default options (as {@code ./engine train --backend NAME} opens it).
     */
    private List<Training.Result> training(List<BackendInfo> infos) {
        Training.Plan plan = Training.Plan.of(options.plan(), options.quick());
        Training.Setup setup;
        try {
            setup = Training.Setup.digits(plan);
        } catch (RuntimeException e) {
            err.println("compare: training section skipped, the digits data set failed to load: " + e.getMessage());
            return List.of();
        }
        List<Training.Result> results = new ArrayList<>();
        for (BackendInfo info : infos) {
            if (!info.available() || !options.wants(info.name())) {
                continue;
            }
            err.printf(Locale.ROOT, "compare: training %s on %s: %.0f s warm-up, %d epoch%s, then %d steps profiled%n",
                    setup.dataName(), info.name(), plan.warmUpSeconds(), plan.epochs(), plan.epochs() == 1 ? "" : "s",
                    plan.profileSteps());
            Training.Result r;
            try (Backend b = Engine.open(info.name(), measured(info.name(), 0))) {
                r = Training.measure(b, setup, plan);
            } catch (RuntimeException | LinkageError e) {
                r = Training.Result.failed(info.name(), info.capabilities() == null ? null : info.capabilities().deviceName(),
                        e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            if (!r.ok()) {
                err.println("compare: training on " + info.name() + " failed: " + r.error());
            }
            results.add(r);
        }
        return results;
    }

    /**
     * Runs a 128×128 matmul on every implementation for a moment before anything is timed, so that
     * the JIT has compiled the Vector API GEMM kernels (the CPU backend's, netlib's) before the
     * first, short, quick-mode measurement; a kernel still interpreted runs a hundred times slower.
     * The backends also run a 400×400 one: the CPU backend multiplies 128×128 without packing, and
     * its packed kernels (400 = 28·14 + 8 rows and 12·32 + 16 columns reach the edge tiles too) would
     * otherwise first run in the 512 row (measured at 15–42 GFLOP/s in a --quick report, 111 warm).
     */
    private void preWarm(List<Impl> impls) {
        err.println("compare: warming up the JIT (128x128 and 400x400 matmuls on each implementation)");
        OpDescriptor mm = Ops.byName("matmul");
        GemmShape s = mm.gemm(128);
        float[][] ab = Ops.gemmInputs(s, SEED);
        Timing.Plan warm = new Timing.Plan(0.5, 1, 0, 0.5);
        for (Impl impl : impls) {
            try {
                if (impl.isBackend()) {
                    if (impl.backend().supports(mm.op())) {
                        for (int size : new int[] {128, 400}) {
                            try (Instance inst = mm.prepare(impl.backend(), size, SEED)) {
                                Timing.measure(inst::run, impl.backend()::synchronize, warm);
                            }
                        }
                    }
                } else if (impl.anchor() != null && impl.anchor().threaded()) {
                    impl.anchor().sgemm(s, ab[0], ab[1], Math.max(1, impl.threads()), warm);
                }
            } catch (RuntimeException | LinkageError e) {
                // the measurement itself will report the failure
            }
        }
    }

    private void measureDeviceCeiling(Impl impl) {
        Backend b = impl.backend();
        long n = Math.max(options.copyFloats(), 1L << 24);
        if (impl.name().equals("opencl")) {
            String why;
            try {
                OpenClCopyKernel.Result r = OpenClCopyKernel.measure(work("opencl-copy"), n, options.plan().repetitions());
                if (r.device().contains(b.capabilities().deviceName())) {
                    DeviceCeiling c = new DeviceCeiling(impl.name(), b.capabilities().deviceName(), n, r.gbs(), PLAIN_COPY);
                    deviceCeilings.put(impl.name(), c);
                    err.printf(Locale.ROOT, "compare:   %s (%s): plain float4 copy kernel %.1f GB/s over %d floats%n",
                            c.backend(), c.device(), c.copyGBs(), n);
                    return;
                }
                why = "it ran on " + r.device() + ", not on the backend's device";
            } catch (IOException e) {
                why = e.getMessage();
            }
            err.println("compare: no plain OpenCL copy kernel (" + why + "); the backend's identity activation is the ceiling");
        }
        try (Tensor x = b.empty(n); Tensor y = b.empty(n)) {
            b.activation(x, Activation.IDENTITY, y);
            b.synchronize();
            Timing t = Timing.measure(() -> b.activation(x, Activation.IDENTITY, y), b::synchronize, options.plan());
            DeviceCeiling c = new DeviceCeiling(impl.name(), b.capabilities().deviceName(), n, 8.0 * n / t.median() / 1e9,
                    "the backend's identity activation");
            deviceCeilings.put(impl.name(), c);
            err.printf(Locale.ROOT, "compare:   %s (%s): copy kernel %.1f GB/s over %d floats%n", c.backend(), c.device(),
                    c.copyGBs(), n);
        } catch (RuntimeException | OutOfMemoryError e) {
            err.println("compare: no copy ceiling for " + impl.name() + ": " + e);
        }
    }

    /**
     * The plain OpenCL copy kernel again at the end of the run (it ran at the start, see
     * measureDeviceCeiling), keeping the higher figure as the host's ceilings do.
     *
     * @return whether the ceiling rose
     */
    private boolean remeasurePlainCopy() {
        DeviceCeiling c = deviceCeilings.get("opencl");
        if (c == null || !c.kernel().equals(PLAIN_COPY)) {
            return false;
        }
        try {
            OpenClCopyKernel.Result r = OpenClCopyKernel.measure(work("opencl-copy"), c.floats(), options.plan().repetitions());
            err.printf(Locale.ROOT, "compare:   at the end, opencl: plain float4 copy kernel %.1f GB/s%n", r.gbs());
            if (r.gbs() > c.copyGBs()) {
                deviceCeilings.put("opencl", new DeviceCeiling(c.backend(), c.device(), c.floats(), r.gbs(), c.kernel()));
                return true;
            }
        } catch (IOException e) {
            err.println("compare: the plain OpenCL copy kernel failed at the end: " + e.getMessage());
        }
        return false;
    }

    /**
     * A row's fraction of its ceiling: the host's FMA or copy loop at the row's thread count, or for
     * a device backend its own copy kernel over the row's footprint (memory-bound rows only).
     */
    private double fraction(String backend, int threads, String bound, double throughput, double bytes,
                            List<Ceilings.Ceiling> ceilings) {
        if (threads == 0) { // a device backend or anchor
            DeviceCeiling d = deviceCeilings.get(backend);
            if (d == null || bound.equals("compute")) {
                return Double.NaN;
            }
            // As the host's rows: against the device's copy kernel over as much memory as the op touches, where the
            // plain kernel can run (a 4M-float op partly in a CPU device's cache read up to 224 % of the 16M copy).
            return throughput / sizedDeviceCopy(d, (long) (bytes / 8));
        }
        if (bound.equals("memory")) {
            // The copy loop over as much memory as the row's op touches: a row whose arrays fit in a cache is judged
            // against a copy that fits there too, not against main memory's bandwidth.
            return throughput / sizedCopy(threads, (long) (bytes / 8));
        }
        Ceilings.Ceiling c = ceilings.stream().filter(x -> x.threads() == threads).findFirst().orElse(null);
        return c == null ? Double.NaN : throughput / c.fmaGflops();
    }

    /** The plain OpenCL copy kernel's GB/s over a row's footprint, by floats. */
    private final Map<Long, Double> sizedDeviceCopies = new LinkedHashMap<>();

    /**
     * The device's copy kernel over {@code floats} floats: the plain kernel run at that size where the device's ceiling
     * came from it (measured once per size, kept), else the ceiling measured over 16M floats.
     */
    private double sizedDeviceCopy(DeviceCeiling d, long floats) {
        if (!d.kernel().equals(PLAIN_COPY)) {
            return d.copyGBs();
        }
        long n = Math.max(1L << 16, Math.min(floats, d.floats()));
        if (n == d.floats()) {
            return d.copyGBs();
        }
        return sizedDeviceCopies.computeIfAbsent(n, k -> {
            try {
                OpenClCopyKernel.Result r = OpenClCopyKernel.measure(work("opencl-copy"), k, options.plan().repetitions());
                err.printf(Locale.ROOT, "compare:   opencl copy kernel over %s floats: %.1f GB/s%n", OpDescriptor.elements(k), r.gbs());
                return r.gbs();
            } catch (IOException e) {
                return d.copyGBs();
            }
        });
    }

    /** The copy loop's GB/s on {@code threads} threads over {@code floats} floats (one read, one write each), by key. */
    private final Map<String, Double> sizedCopies = new LinkedHashMap<>();

    /**
     * The copy loop on {@code threads} threads over {@code floats} floats, measured once per (threads, floats), the
     * first time a row of that footprint needs it (so beside that row's measurements), and kept for the report.
     */
    double sizedCopy(int threads, long floats) {
        long n = Math.max(1, Math.min(floats, options.copyFloats()));
        return sizedCopies.computeIfAbsent(threads + ":" + n, k -> {
            double gbs = Ceilings.copyOn(threads, copyBuffers(n), n, options.ceilingSeconds() / 3);
            err.printf(Locale.ROOT, "compare:   copy loop over %s floats on %d thread%s: %.1f GB/s%n", OpDescriptor.elements(n),
                    threads, threads == 1 ? "" : "s", gbs);
            return gbs;
        });
    }

    /**
     * Every copy loop measured at a row's footprint, measured again at the end with the higher figure kept (as the
     * ceilings are): one disturbed measurement would otherwise make every row of that footprint, the peers' included,
     * read too close to (or past) its ceiling. True when any figure rose.
     */
    private boolean remeasureSizedCopies() {
        boolean rose = false;
        for (Map.Entry<String, Double> e : sizedCopies.entrySet()) {
            String[] key = e.getKey().split(":");
            int threads = Integer.parseInt(key[0]);
            long n = Long.parseLong(key[1]);
            double gbs = Ceilings.copyOn(threads, copyBuffers(n), n, options.ceilingSeconds() / 3);
            if (gbs > e.getValue()) {
                err.printf(Locale.ROOT, "compare:   at the end, copy loop over %s floats on %d thread%s: %.1f GB/s (was %.1f)%n",
                        OpDescriptor.elements(n), threads, threads == 1 ? "" : "s", gbs, e.getValue());
                e.setValue(gbs);
                rose = true;
            }
        }
        return rose;
    }

    /** The row with its fraction of the ceiling taken against {@code ceilings}. */
    private Row refraction(Row r, List<Ceilings.Ceiling> ceilings) {
        if (!r.ok()) {
            return r;
        }
        if (!Double.isNaN(r.interleavedFraction())) {
            return r; // against the copy loop run in alternation with it, which nothing measured later replaces
        }
        double frac = fraction(r.backendOrAnchor(), r.threads(), r.bound(), r.throughput(), r.bytes(), ceilings);
        return new Row(r.impl(), r.kind(), r.backendOrAnchor(), r.threads(), r.op(), r.family(), r.size(), r.shape(),
                r.bound(), r.timing(), r.flops(), r.bytes(), r.throughput(), r.unit(), frac, r.speedupVsCpu(),
                r.maxRelError(), r.checkedAgainst(), r.checkPassed(), r.error(), r.interleavedCopyGBs(),
                r.interleavedOpGBs(), r.interleavedFraction(), r.alternation());
    }

    private long[] sizes(OpDescriptor d) {
        if (options.sizes() != null) {
            return options.sizes();
        }
        if (options.plan() == Timing.Plan.TINY) {
            return new long[] {d.bound() == OpDescriptor.Bound.COMPUTE ? 32 : 4096};
        }
        return d.sizes(options.quick());
    }

    private static boolean applies(Impl i, OpDescriptor d, long size) {
        if (i.isBackend()) {
            return true;
        }
        return i.isPeer() ? PeerTask.of(d, size, SEED) != null : d.gemm(size) != null;
    }

    private static Map<String, Object> anchorMap(String name, boolean present, String reason, String impl) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("present", present);
        m.put("reason", present || reason == null ? null : "not present: " + reason);
        m.put("implementation", impl);
        return m;
    }

    /** The float64 oracle at sampled indices of the (op, size) being measured; null where the op has none. */
    private record Sampled(int[] indices, double[] values) {}

    private Sampled refOracle;

    /** {@code got} against the oracle where there is one (and the lengths match), else against the CPU backend's result. */
    private double[] checkAgainstOracle(OpDescriptor d, float[] got, float[] ref) {
        if (refOracle != null && ref != null && got.length == ref.length) {
            return new double[] {OpDescriptor.maxRelativeError(got, refOracle.indices(), refOracle.values()), 1};
        }
        return new double[] {ref == null ? Double.NaN : agreement(d, got, ref), 0};
    }

    /** All rows of one (op, size): the reference result first, then each implementation checked and timed. */
    private List<Row> measureOpSize(OpDescriptor d, long size, List<Impl> impls, Backend reference,
                                    List<Ceilings.Ceiling> ceilings, List<Row> earlier) {
        List<Row> rows = new ArrayList<>();
        float[] ref = null;
        String refError = null;
        refOracle = null;
        if (reference != null && reference.supports(d.op())) {
            try (Instance inst = d.prepare(reference, size, SEED)) {
                inst.run();
                reference.synchronize();
                ref = inst.result();
                // The float64 oracle on the same seeded inputs, for the anchors' and peers' rows too.
                int[] idx = OpDescriptor.sampleIndices(ref.length, 256);
                double[] oracle = inst.oracle(idx);
                refOracle = oracle == null ? null : new Sampled(idx, oracle);
            } catch (RuntimeException | LinkageError | OutOfMemoryError e) {
                refError = e.toString();
            }
        }
        for (Impl impl : impls) {
            if (!applies(impl, d, size)) {
                continue;
            }
            progress.step(d.name() + " " + d.shape(size) + " on " + impl.label());
            Row row;
            try {
                row = impl.isBackend() ? measureBackend(d, size, impl, ref, ceilings)
                        : impl.isPeer() ? measurePeer(d, size, impl, ref, ceilings) : measureAnchor(d, size, impl, ref, ceilings);
                row = alternate(d, size, impl, row, impls, rows);
                row = alternateHalf(d, size, impl, row, earlier);
            } catch (RuntimeException | LinkageError | OutOfMemoryError e) {
                row = failed(d, size, impl, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            rows.add(row);
        }
        if (refError != null) {
            err.println("compare: the reference failed on " + d.name() + " " + d.shape(size) + ": " + refError);
        }
        // Speed-up over the CPU backend: at the same thread count where there is one, else at the most threads.
        List<Row> out = new ArrayList<>();
        int maxThreads = options.threads().stream().max(Integer::compare).orElse(1);
        for (Row r : rows) {
            int t = r.threads() == 0 ? maxThreads : r.threads();
            Row cpu = rows.stream().filter(x -> x.backendOrAnchor().equals(REFERENCE) && x.threads() == t && x.ok())
                    .findFirst().orElse(null);
            // The same figure the targets state for the pair (Targets.cpuOver), seen from this row's side.
            double s = cpu == null || !r.ok() ? Double.NaN : 1 / Targets.cpuOver(cpu, r);
            out.add(r.withSpeedup(s));
        }
        return out;
    }

    private Row measureBackend(OpDescriptor d, long size, Impl impl, float[] ref, List<Ceilings.Ceiling> ceilings) {
        Backend b = impl.backend();
        if (!b.supports(d.op())) {
            return failed(d, size, impl, "unsupported: backend '" + impl.name() + "' does not implement " + d.op());
        }
        try (Instance inst = d.prepare(b, size, SEED)) {
            inst.run();
            b.synchronize();
            float[] got = inst.result();
            double errRel;
            String against;
            int[] idx = OpDescriptor.sampleIndices(got.length, 256);
            double[] oracle = inst.oracle(idx);
            if (oracle != null) {
                // Every backend's row against the float64 oracle on the same inputs, not against another backend.
                errRel = OpDescriptor.maxRelativeError(got, idx, oracle);
                against = "float64 oracle, " + idx.length + " samples" + losses(d, got);
            } else if (impl.name().equals(REFERENCE) || ref == null) {
                if (ref != null) {
                    // Said as it is: the same backend at its default thread count is no independent check.
                    errRel = agreement(d, got, ref);
                    against = "cpu backend at its default threads only (no float64 oracle for this op)" + losses(d, got);
                } else {
                    errRel = Double.NaN;
                    against = "none";
                }
            } else {
                errRel = agreement(d, got, ref);
                against = "cpu reference" + losses(d, got);
            }
            got = null;
            Timing t = Timing.measure(inst::run, b::synchronize, options.plan());
            Row row = row(d, size, impl, "backend", t, errRel, against, ceilings);
            int maxThreads = options.threads().stream().max(Integer::compare).orElse(1);
            if (impl.name().equals(REFERENCE) && d.bound() == OpDescriptor.Bound.MEMORY && impl.threads() == maxThreads) {
                // The targets' "vs copy bandwidth": the op and the copy loop in alternation, so that both see the
                // same host (the ceilings at the start and the end bracket the run, not this row).
                long floats = (long) (d.bytes(size) / 8);
                double[] r = Ceilings.interleaved(inst::run, b::synchronize, t.median(), impl.threads(), copyBuffers(floats),
                        floats, options.plan());
                row = row.withInterleaved(r[1], d.bytes(size) / r[0] / 1e9, r[2]);
            }
            return row;
        }
    }

    private float[][] copyBuffers;

    /**
     * The copy loop's source and destination for the interleaved measurements, at least {@code floats} long (capped
     * at the ceilings' copy size); reallocated only when a bigger op needs more.
     */
    private float[][] copyBuffers(long floats) {
        long want = Math.max(1, Math.min(floats, Math.min(options.copyFloats(), Integer.MAX_VALUE - 16)));
        if (copyBuffers == null || copyBuffers[0].length < want) {
            copyBuffers = null; // the old pair can go before the new one is allocated
            int n = (int) want;
            float[] src = new float[n];
            for (int i = 0; i < n; i++) {
                src[i] = i;
            }
            copyBuffers = new float[][] {src, new float[n]};
        }
        return copyBuffers;
    }

    /**
     * For an anchor's row of an op the targets judge ({@link Targets#ALTERNATED_OP}), the anchor and the CPU backend at
     * the same thread count timed again in alternation (see {@link Alternation}); other rows unchanged.
     */
    private Row alternate(OpDescriptor d, long size, Impl impl, Row row, List<Impl> impls, List<Row> before) {
        if (impl.isBackend() || impl.isPeer() || !row.ok() || !d.name().equals(Targets.ALTERNATED_OP) || !impl.anchor().threaded()) {
            return row;
        }
        Impl cpu = impls.stream().filter(i -> i.isBackend() && i.name().equals(REFERENCE) && i.threads() == impl.threads())
                .findFirst().orElse(null);
        Row cpuRow = before.stream().filter(r -> r.ok() && r.backendOrAnchor().equals(REFERENCE) && r.threads() == impl.threads())
                .findFirst().orElse(null);
        if (cpu == null || cpuRow == null) {
            return row;
        }
        GemmShape s = d.gemm(size);
        float[][] ab = Ops.gemmInputs(s, SEED);
        float[] c = new float[s.m() * s.n()];
        Backend b = cpu.backend();
        try (Instance inst = d.prepare(b, size, SEED); Anchor.Call call = impl.anchor().call(s, ab[0], ab[1], c, impl.threads())) {
            return row.withAlternation(Alternation.measure(inst::run, b::synchronize, cpuRow.timing().median(), call::run,
                    () -> {}, row.timing().median(), options.plan()));
        }
    }

    /**
     * For the CPU backend's row of a half-precision op ({@code act_sigmoid_bf16}, {@code matmul_fp16}, …), that op and
     * its float32 op ({@code act_sigmoid}, {@code matmul}) at the same size and threads timed again in alternation (see
     * {@link Alternation}), so that the half-over-float32 ratio the report states comes from the same minutes on both
     * sides: measured one after the other, a two-thread bf16 matmul at 512 read 0.52× once and 0.96–1.11× in other runs.
     * The row's {@code alternation} then holds it, the float32 op in the place of the other implementation; other rows,
     * and half rows without a float32 row measured earlier in the run, unchanged.
     */
    private Row alternateHalf(OpDescriptor d, long size, Impl impl, Row row, List<Row> earlier) {
        String base = halfBase(d.name());
        if (base == null || !impl.isBackend() || !impl.name().equals(REFERENCE) || !row.ok()) {
            return row;
        }
        Row f32 = earlier.stream().filter(r -> r.ok() && r.op().equals(base) && r.backendOrAnchor().equals(REFERENCE)
                && r.threads() == row.threads() && r.size() == size).findFirst().orElse(null);
        OpDescriptor fd = Ops.all().stream().filter(o -> o.name().equals(base)).findFirst().orElse(null);
        if (f32 == null || fd == null) {
            return row;
        }
        Backend b = impl.backend();
        try (Instance half = d.prepare(b, size, SEED); Instance single = fd.prepare(b, size, SEED)) {
            return row.withAlternation(Alternation.measure(half::run, b::synchronize, row.timing().median(), single::run,
                    b::synchronize, f32.timing().median(), options.plan()));
        }
    }

    /** The float32 op of a half-precision op's name ({@code matmul_bf16} → {@code matmul}), or null for another op. */
    static String halfBase(String op) {
        return op.endsWith("_bf16") || op.endsWith("_fp16") ? op.substring(0, op.length() - 5) : null;
    }

    /**
     * A peer's row: the peer runs the op on the same inputs (written to files once per op and size) and times it itself
     * (see {@link dev.kengine.bench.peer.PeerTiming}); its output is checked as any other row's is: against the
     * float64 oracle on the same inputs where the op has one, else against the CPU backend's result.
     */
    private Row measurePeer(OpDescriptor d, long size, Impl impl, float[] ref, List<Ceilings.Ceiling> ceilings) {
        String lacks = peerLacks(impl.name(), d);
        if (lacks != null) {
            return failed(d, size, impl, "unsupported: " + lacks);
        }
        PeerTask task = PeerTask.of(d, size, SEED);
        Peer.Result r;
        try {
            r = impl.peer().run(task, work("peers"), options.plan());
        } catch (IOException e) {
            return failed(d, size, impl, impl.name() + " failed: " + e.getMessage());
        }
        double[] check = checkAgainstOracle(d, r.output(), ref);
        double errRel = check[0];
        String against = (check[1] == 1 ? "float64 oracle, " + refOracle.indices().length + " samples"
                : ref == null ? "none" : "cpu reference") + losses(d, r.output()) + peerNote(impl.name(), d);
        return row(d, size, impl, "peer", r.timing(), errRel, against, ceilings);
    }

    /**
     * How far a result is from the reference's: for the training step the largest relative difference of its first
     * losses ({@link TrainStep#lossDisagreement}), for every other op the max relative error.
     */
    static double agreement(OpDescriptor d, float[] got, float[] ref) {
        return d.name().equals(Ops.TRAIN_STEP) ? TrainStep.lossDisagreement(got, ref) : OpDescriptor.maxRelativeError(got, ref);
    }

    /** For the training step, the losses a row's check compared ("; losses 2.3051, 2.1432, 1.9876"); else empty. */
    static String losses(OpDescriptor d, float[] got) {
        if (!d.name().equals(Ops.TRAIN_STEP)) {
            return "";
        }
        StringBuilder sb = new StringBuilder("; losses ");
        for (int i = 0; i < got.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.5f", got[i]));
        }
        return sb.append(String.format(Locale.ROOT, " (agree: within %.0e relative)", TrainStep.LOSS_TOLERANCE)).toString();
    }

    /** Why a peer has no op of this kind, or null when it has one. */
    static String peerLacks(String peer, OpDescriptor d) {
        return peer.equals(Peers.ND4J) && d.name().equals("act_gelu_tanh")
                ? "ND4J has no tanh-form GELU (its PreciseGELU op computes another approximation: 1.921 at x = 2, against 1.955)"
                : null;
    }

    /** What a peer computes differently from the engine for an op, where it does; else empty. */
    static String peerNote(String peer, OpDescriptor d) {
        return peer.equals(Peers.ND4J) && d.name().equals("act_gelu")
                ? "; ND4J's GELU op is the approximation x·σ(1.702x), not the erf form" : "";
    }

    /**
     * Starts each wanted peer at each thread count (a process each) and lists it with the anchors: present with what
     * was loaded, or not present with the reason, or skipped because of --quick. A peer that fails to start at one
     * thread count is left out at all of them.
     */
    private void startPeers(List<Impl> impls, List<Map<String, Object>> info, List<AutoCloseable> toClose) {
        if (!options.peers()) {
            return;
        }
        for (String name : Peers.NAMES) {
            if (!options.wantsPeer(name)) {
                if (options.clblastSkippedByQuick()) {
                    Map<String, Object> m = anchorMap(name, false, null, null);
                    m.put("role", "peer");
                    m.put("skipped", true);
                    m.put("reason", "skipped because of --quick (a process per thread count, loading for seconds); run "
                            + "without --quick, or name it in --backends, to measure it");
                    info.add(m);
                    err.println("compare: peer " + name + " skipped because of --quick");
                }
                continue;
            }
            String why = null;
            List<String> command = null;
            try {
                command = name.equals(Peers.PYTORCH) ? Peers.pytorchCommand(options.python(), work("peers")) : Peers.nd4jCommand();
                why = name.equals(Peers.ND4J) ? Peers.nd4jMissing(command) : null;
            } catch (IOException e) {
                why = e.getMessage();
            }
            List<Impl> started = new ArrayList<>();
            String version = null;
            if (why == null) {
                err.println("compare: starting peer " + name + " (a process per thread count: " + options.threads() + ")");
                for (int t : options.threads()) {
                    Peer p = Peer.start(name, command, t, work("peers"));
                    toClose.add(p);
                    if (p.unavailableReason() != null) {
                        why = p.unavailableReason();
                        break;
                    }
                    version = p.version();
                    started.add(new Impl(name + "(" + t + "t)", name, null, null, p, t));
                }
            }
            if (why != null && name.equals(Peers.PYTORCH) && why.startsWith("cannot run")) {
                why = "no python3 with torch (" + why + ")";
            }
            Map<String, Object> m = anchorMap(name, why == null, why, version);
            m.put("role", "peer");
            info.add(m);
            if (why != null) {
                err.println("compare: peer " + name + " not present: " + why);
                continue;
            }
            err.println("compare: peer " + name + ": " + version);
            impls.addAll(started);
        }
    }

    private Row measureAnchor(OpDescriptor d, long size, Impl impl, float[] ref, List<Ceilings.Ceiling> ceilings) {
        GemmShape s = d.gemm(size);
        float[][] ab = Ops.gemmInputs(s, SEED);
        Anchor.Result r = impl.anchor().sgemm(s, ab[0], ab[1], Math.max(1, impl.threads()), options.plan());
        double[] check = checkAgainstOracle(d, r.c(), ref);
        String against = check[1] == 1 ? "float64 oracle, " + refOracle.indices().length + " samples"
                : ref == null ? "none" : "cpu reference";
        return row(d, size, impl, "anchor", r.timing(), check[0], against, ceilings);
    }

    private Row row(OpDescriptor d, long size, Impl impl, String kind, Timing t, double errRel, String against,
                    List<Ceilings.Ceiling> ceilings) {
        double tp = d.throughput(size, t.median());
        double frac = fraction(impl.name(), impl.threads(), d.bound().name().toLowerCase(Locale.ROOT), tp, d.bytes(size),
                ceilings);
        boolean pass = errRel <= d.tolerance(); // NaN (nothing to check against) is no pass
        return new Row(impl.label(), kind, impl.name(), impl.threads(), d.name(), d.family(), size, d.shape(size),
                d.bound().name().toLowerCase(Locale.ROOT), t, d.flops(size), d.bytes(size), tp, d.throughputUnit(), frac,
                Double.NaN, errRel, against, pass, null, Double.NaN, Double.NaN, Double.NaN, null);
    }

    private static Row failed(OpDescriptor d, long size, Impl impl, String why) {
        return new Row(impl.label(), impl.kind(), impl.name(), impl.threads(), d.name(),
                d.family(), size, d.shape(size), d.bound().name().toLowerCase(Locale.ROOT), null, d.flops(size),
                d.bytes(size), Double.NaN, d.throughputUnit(), Double.NaN, Double.NaN, Double.NaN, "none", false, why,
                Double.NaN, Double.NaN, Double.NaN, null);
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("vector_lanes_f32", Ceilings.lanes());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        m.put("load_average_at_start", loadAverage());
        return m;
    }

    /**
     * The machine's busy processor time and this process's own (with its waited-for children: the peers' processes), in
     * clock ticks, at one instant; from Linux's /proc/stat and /proc/self/stat. Two of them give the cores other
     * processes used on average between them: the load the report's figures were measured under, which the load
     * averages alone blur (they count this run's own threads, and are read only at the start and the end).
     */
    record CpuTimes(long busyTicks, long ownTicks, long nanos) {
        /** Linux's USER_HZ, the unit of both files' times. */
        private static final double TICKS_PER_SECOND = 100;

        /** Now, or null where the files cannot be read (another OS). */
        static CpuTimes now() {
            try {
                String cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst();
                String[] f = cpu.trim().split("\\s+");
                long busy = 0;
                for (int i = 1; i < f.length; i++) {
                    if (i != 4 && i != 5) { // idle and iowait are not busy
                        busy += Long.parseLong(f[i]);
                    }
                }
                String self = Files.readString(Path.of("/proc/self/stat"));
                String[] g = self.substring(self.lastIndexOf(')') + 2).trim().split("\\s+");
                // After the name: state is field 3, so utime, stime, cutime and cstime (14-17) sit at 11-14 here.
                long own = Long.parseLong(g[11]) + Long.parseLong(g[12]) + Long.parseLong(g[13]) + Long.parseLong(g[14]);
                return new CpuTimes(busy, own, System.nanoTime());
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** The cores other processes used on average since {@code start}, at least 0. */
        double othersSince(CpuTimes start) {
            double seconds = (nanos - start.nanos) * 1e-9;
            if (seconds <= 0) {
                return 0;
            }
            double others = ((busyTicks - start.busyTicks) - (ownTicks - start.ownTicks)) / TICKS_PER_SECOND;
            return Math.max(0, others / seconds);
        }
    }

    /** /proc/loadavg as it reads ("1.88 1.85 1.66 2/106 32130": the 1-, 5- and 15-minute load averages first), or "unknown". */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try {
            return cpuModel(Files.readAllLines(Path.of("/proc/cpuinfo")), System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    /**
     * The processor as /proc/cpuinfo's first processor names it, with its family and model numbers where given
     * ("AMD EPYC (family 25, model 17)"): a virtual machine's name can be the vendor's family name alone, and two
     * machines of one name can differ twofold in their FMA rate, so the numbers tell their reports apart.
     */
    static String cpuModel(List<String> cpuinfo, String fallback) {
        String name = field(cpuinfo, "model name");
        String family = field(cpuinfo, "cpu family");
        String model = field(cpuinfo, "model");
        if (name == null) {
            return fallback;
        }
        return family == null || model == null ? name : name + " (family " + family + ", model " + model + ")";
    }

    /** The value of the first "key : value" line whose key is exactly {@code key}, or null. */
    private static String field(List<String> lines, String key) {
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).trim().equals(key)) {
                return l.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** A one-line progress indicator on stderr: rewritten in place on a terminal, a line per step otherwise. */
    static final class Progress {
        private final PrintStream err;
        private final boolean tty = System.console() != null && System.console().isTerminal();
        private int total;
        private int done;
        private long started;

        Progress(PrintStream err) {
            this.err = err;
        }

        void start(int total) {
            this.total = total;
            this.started = System.nanoTime();
        }

        void step(String what) {
            done++;
            double el = (System.nanoTime() - started) * 1e-9;
            String line = String.format(Locale.ROOT, "[%3d/%d %4.0fs] %s", done, total, el, what);
            if (tty) {
                err.print("\r\033[K" + line);
            } else {
                err.println(line);
            }
            err.flush();
        }

        void done() {
            if (tty && total > 0) {
                err.println();
            }
        }
    }

    /**
     * The options a measured backend opens with: {@code threads} when given (0: the default), and for
     * the CPU backend {@code simd=true}, so that the vector kernels are measured from the first
     * warm-up iteration rather than the scalar ones it starts on by default.
     */
    public static Map<String, String> measured(String backend, int threads) {
        Map<String, String> options = new java.util.HashMap<>();
        if (threads > 0) {
            options.put("threads", Integer.toString(threads));
        }
        if (backend.equals("cpu")) {
            options.put("simd", "true");
        }
        return options;
    }
}
