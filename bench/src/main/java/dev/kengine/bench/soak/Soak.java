package dev.kengine.bench.soak;

import dev.kengine.Backend;
import dev.kengine.BackendInfo;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.Engine;
import dev.kengine.Scope;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.conformance.Fuzzer;
import dev.kengine.op.Activation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./engine soak}: the engine under a hostile caller and a long run, per backend, with the
 * targets of the reliability contract checked at the end:
 * <ol>
 *   <li>fuzz: random calls with injected faults ({@link Fuzzer}), and threads that close tensors and
 *       backends under running ops; target: 0 hangs, 0 undocumented exception types, 0 wrong answers;</li>
 *   <li>small ops: a million ops on tensors of 256 floats, each in a scope; target: the process's
 *       resident memory at the end within 10 % of its baseline (taken after the first 10 %, the heap committed and touched up front by {@code ./engine});</li>
 *   <li>large ops: ten thousand ops on tensors of 2<sup>20</sup> floats, memory sampled;</li>
 *   <li>leaks: tensors of 1 MiB allocated, filled and never closed; target: the loop completes in
 *       bounded memory (the collector frees them and the engine prompts it for device memory);</li>
 *   <li>out of memory: in a child JVM under {@code ulimit -v}, 256 MiB tensors allocated and filled
 *       until the backend reports {@link DeviceOutOfMemoryException}; target: the child survives,
 *       frees them and computes again.</li>
 * </ol>
 * A crash would end the process (or, for the out-of-memory phase, the child): the report is printed
 * phase by phase, so what ran before the crash stays on the screen.
 */
public final class Soak {
    private static final long MIB = 1 << 20;

    private long fuzzCases = 100_000;
    private int races = 30;
    private long smallOps = 1_000_000;
    private long largeOps = 10_000;
    private long leaks = 100_000;
    private boolean oom = true;
    private long oomLimitKiB = 6L * 1024 * 1024;
    private final List<String> backends = new ArrayList<>();
    private final List<String> missed = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--oom-child")) {
            System.exit(oomChild(args[1]));
        }
        Soak s = new Soak();
        try {
            if (!s.parse(args)) {
                return;
            }
        } catch (UsageException e) {
            System.err.println("soak: " + e.getMessage() + " (--help lists the options)");
            System.exit(2);
        }
        System.exit(s.run() ? 0 : 1);
    }

    /** A bad command line: one line on stderr and exit code 2, as every {@code ./engine} command. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Reads the options into this soak: false after {@code --help} (printed), true to run.
     *
     * @throws UsageException for an unknown option, a missing or malformed value, or a backend that is not on the
     *     class path or cannot run here
     */
    boolean parse(String[] args) throws UsageException {
        boolean quick = false;
        Set<String> given = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--backend" -> backends.add(backend(value(args, ++i, a)));
                case "--fuzz" -> fuzzCases = count(args, ++i, a, 0);
                case "--races" -> races = (int) Math.min(count(args, ++i, a, 0), Integer.MAX_VALUE);
                case "--small" -> smallOps = count(args, ++i, a, 0);
                case "--large" -> largeOps = count(args, ++i, a, 0);
                case "--leaks" -> leaks = count(args, ++i, a, 0);
                case "--no-oom" -> oom = false;
                case "--oom-limit-mib" -> oomLimitKiB = Math.multiplyExact(count(args, ++i, a, 0), 1024); // 0: no ulimit
                case "--quick" -> quick = true;
                case "-h", "--help" -> {
                    System.out.println("""
                            usage: ./engine soak [--backend NAME]... [--quick] [--fuzz N] [--races N] [--small N]
                                                 [--large N] [--leaks N] [--no-oom] [--oom-limit-mib N]
                              Fuzzes every public call and soaks each available backend (or those named), then
                              checks the targets: 0 hangs and 0 undocumented exceptions in the fuzz cases, resident
                              memory within 10 % of its baseline after the small ops, leaked tensors reclaimed in
                              bounded memory, out of memory reported and recovered from under a ulimit -v.
                              Defaults: 100000 fuzz cases, 30 races, 1000000 small ops, 10000 large ops, 100000
                              leaked 1 MiB tensors, the out-of-memory child under ulimit -v 6144 MiB (0: no ulimit,
                              for device backends whose memory runs out first). --quick divides the counts by ten;
                              a count given beside it wins. A count of 0 leaves its target unchecked, and the
                              verdict says so.""");
                    return false;
                }
                default -> throw new UsageException("unknown option '" + a + "'");
            }
            given.add(a);
        }
        if (quick) {
            // A count given on the command line wins wherever it stands.
            fuzzCases = given.contains("--fuzz") ? fuzzCases : 10_000;
            races = given.contains("--races") ? races : 3;
            smallOps = given.contains("--small") ? smallOps : 100_000;
            largeOps = given.contains("--large") ? largeOps : 1_000;
            leaks = given.contains("--leaks") ? leaks : 10_000;
        }
        unchecked.clear();
        if (fuzzCases == 0) {
            unchecked.add("the fuzz targets (--fuzz 0)");
        }
        if (races == 0) {
            unchecked.add("the races (--races 0)");
        }
        if (smallOps < MIN_SMALL_OPS) {
            unchecked.add("resident memory after the small ops (--small below " + MIN_SMALL_OPS + ")");
        }
        if (leaks == 0) {
            unchecked.add("leaked tensors reclaimed (--leaks 0)");
        }
        if (!oom) {
            unchecked.add("out of memory reported and recovered from (--no-oom)");
        }
        if (unchecked.size() == 5) {
            throw new UsageException("these counts check no target: " + String.join("; ", unchecked));
        }
        return true;
    }

    /** The fewest small ops whose resident memory is judged (below it the baseline is too early to mean much). */
    static final long MIN_SMALL_OPS = 10_000;

    /** The targets this run's counts leave unchecked, for the verdict. */
    private final List<String> unchecked = new ArrayList<>();

    long fuzzCases() {
        return fuzzCases;
    }

    long smallOps() {
        return smallOps;
    }

    List<String> unchecked() {
        return List.copyOf(unchecked);
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    /** A whole number of at least {@code min} (and at most 2^40, far beyond any run's patience). */
    private static long count(String[] args, int i, String option, long min) throws UsageException {
        String v = value(args, i, option);
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " takes a whole number, got '" + v + "'");
        }
        if (n < min || n > 1L << 40) {
            throw new UsageException(option + " must be from " + min + " to " + (1L << 40) + ", got " + n);
        }
        return n;
    }

    /** The backend's name as {@link Engine#open(String)} takes it, once it is known to be on the class path. */
    private static String backend(String name) throws UsageException {
        List<BackendInfo> infos = Engine.explain();
        for (BackendInfo info : infos) {
            if (info.name().equalsIgnoreCase(name)) {
                if (!info.available()) {
                    throw new UsageException("backend '" + name + "' is unavailable here: " + info.reason());
                }
                return info.name();
            }
        }
        throw new UsageException("no backend '" + name + "'; known: "
                + String.join(", ", infos.stream().map(BackendInfo::name).toList()));
    }

    private boolean run() throws Exception {
        if (backends.isEmpty()) {
            for (BackendInfo info : Engine.explain()) {
                if (info.available()) {
                    backends.add(info.name());
                } else {
                    System.out.println(info.name() + ": skipped, unavailable: " + info.reason());
                }
            }
        }
        System.out.printf(Locale.ROOT, "kengine soak on %s, %d cores, load average %s, max heap %d MiB%n",
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), loadAverage(),
                Runtime.getRuntime().maxMemory() / MIB);
        for (String name : backends) {
            soak(name);
        }
        System.out.println();
        if (backends.isEmpty()) {
            System.out.println("nothing soaked: no backend is available here");
            return false;
        }
        if (missed.isEmpty()) {
            System.out.println("every target checked met on " + String.join(", ", backends)
                    + (unchecked.isEmpty() ? "" : "; not checked: " + String.join("; ", unchecked)));
            return true;
        }
        System.out.println("targets missed:");
        missed.forEach(m -> System.out.println("  " + m));
        return false;
    }

    private void soak(String name) throws Exception {
        System.out.printf(Locale.ROOT, "%n== %s ==%n", name);
        long seed = System.nanoTime();
        long t0 = System.nanoTime();
        Fuzzer.Report r = new Fuzzer(() -> Engine.open(name), seed).run(fuzzCases, 365L * 24 * 3600 * 1000);
        System.out.printf(Locale.ROOT, "fuzz: %s (%.1f s)%n", r.summary(), seconds(t0));
        if (!r.clean()) {
            missed.add(name + ": " + r.failures().size() + " fuzz failures (replay: seed " + seed + ")");
        }
        if (r.cases() < fuzzCases) {
            missed.add(name + ": the fuzz run stopped after " + r.cases() + " of " + fuzzCases + " cases");
        }
        t0 = System.nanoTime();
        List<String> raceFailures = new Fuzzer(() -> Engine.open(name), seed).races(races);
        System.out.printf(Locale.ROOT, "races: %d rounds of closing a tensor or the backend under two threads' ops: %d failures "
                + "(%.1f s)%n", races, raceFailures.size(), seconds(t0));
        raceFailures.stream().limit(10).forEach(f -> System.out.println("  " + f));
        if (!raceFailures.isEmpty()) {
            missed.add(name + ": " + raceFailures.size() + " race failures");
        }
        try (Backend b = Engine.open(name)) {
            smallOps(b);
            largeOps(b);
            leaks(b);
        }
        if (oom) {
            oomInChild(name);
        }
    }

    /** A million small ops in scopes; resident memory sampled, the end compared with the baseline. */
    private void smallOps(Backend b) {
        long t0 = System.nanoTime();
        Memory mem = new Memory(b);
        SplittableRandom rnd = new SplittableRandom(1);
        float[] data = new float[256];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rnd.nextGaussian();
        }
        try (Tensor x = b.of(data, 16, 16); Tensor y = b.of(data, 16, 16)) {
            long baselineAt = Math.max(1, smallOps / 10);
            for (long i = 0; i < smallOps; i++) {
                try (Scope s = Scope.open()) {
                    switch ((int) (i % 8)) {
                        case 0 -> b.add(x, y);
                        case 1 -> b.relu(x);
                        case 2 -> b.sum(x, 1);
                        case 3 -> b.softmax(x);
                        case 4 -> b.matmul(x, y);
                        case 5 -> b.activation(x, Activation.GELU);
                        case 6 -> b.scale(x, 0.5f);
                        default -> b.sum(x).item();
                    }
                }
                if (i + 1 == baselineAt) {
                    b.synchronize();
                    System.gc();
                    mem.baseline();
                } else if ((i + 1) % 10_000 == 0) {
                    mem.sample();
                }
            }
        }
        b.synchronize();
        System.gc();
        mem.sample();
        double growth = mem.growth();
        System.out.printf(Locale.ROOT, "small ops: %d ops (16x16 add, relu, sum, softmax, matmul, gelu, scale, item) in %.1f s; %s; "
                + "end/baseline %.3f%n", smallOps, seconds(t0), mem, 1 + growth);
        if (growth > 0.10 && smallOps >= MIN_SMALL_OPS) {
            missed.add(b.name() + ": resident memory grew " + Math.round(growth * 100) + " % over " + smallOps + " small ops");
        }
    }

    /** Ten thousand ops on 4 MiB tensors. */
    private void largeOps(Backend b) {
        long t0 = System.nanoTime();
        Memory mem = new Memory(b);
        int n = 1 << 20;
        try (Tensor x = b.init(Shape.of(n), dev.kengine.op.Init.normal(0, 1), 1);
             Tensor m = b.init(Shape.of(256, 256), dev.kengine.op.Init.normal(0, 1), 2)) {
            mem.baseline();
            for (long i = 0; i < largeOps; i++) {
                try (Scope s = Scope.open()) {
                    switch ((int) (i % 5)) {
                        case 0 -> b.relu(x);
                        case 1 -> b.add(x, x);
                        case 2 -> b.activation(x, Activation.SIGMOID);
                        case 3 -> b.matmul(m, m);
                        default -> b.dropout(x, 0.5f, 7, i);
                    }
                }
                if ((i + 1) % 500 == 0) {
                    b.synchronize();
                    mem.sample();
                }
            }
        }
        b.synchronize();
        mem.sample();
        System.out.printf(Locale.ROOT, "large ops: %d ops (relu, add, sigmoid, dropout on 2^20 floats; 256^3 matmul) in %.1f s; %s%n",
                largeOps, seconds(t0), mem);
    }

    /** 1 MiB tensors filled and never closed: the collector and the engine must give the memory back. */
    private void leaks(Backend b) {
        long t0 = System.nanoTime();
        Memory mem = new Memory(b);
        mem.baseline();
        long prompted = b.collectionsPrompted();
        for (long i = 0; i < leaks; i++) {
            b.full(Shape.of(MIB / 4), 1f); // never closed: a leak on purpose
            if ((i + 1) % 1000 == 0) {
                mem.sample();
            }
        }
        b.synchronize();
        mem.sample();
        System.out.printf(Locale.ROOT, "leaks: %d tensors of 1 MiB filled and never closed (%d GiB in all) in %.1f s; %s; "
                + "collections the engine prompted: %d%n", leaks, leaks / 1024, seconds(t0), mem, b.collectionsPrompted() - prompted);
        long bound = 4L << 30;
        if (mem.peakRss - mem.baselineRss > bound) {
            missed.add(b.name() + ": leaked tensors held " + (mem.peakRss - mem.baselineRss) / MIB + " MiB of resident memory at the peak");
        }
    }

    /** The longest the out-of-memory child may run (it fills memory in about a minute). */
    static final long OOM_CHILD_SECONDS = 600;

    /** Runs the out-of-memory phase in a child JVM under {@code ulimit -v}; a crash or a hang there is a miss. */
    private void oomInChild(String name) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        String limit = oomLimitKiB > 0 ? "ulimit -v " + oomLimitKiB + " && " : "";
        String cmd = String.format(Locale.ROOT,
                "%sexec '%s' --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g "
                        + "-XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=128m -Xss1m -cp '%s' %s --oom-child %s",
                limit, java, cp, Soak.class.getName(), name);
        // Its output into a file (no pipe to fill), and a limit: a child that hangs once its memory ran out is a
        // hang, the target this phase checks, not a reason for the soak to wait for ever.
        Path log = Files.createTempFile("kengine-soak-oom-", ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        Process p = pb.start();
        int rc;
        String out;
        try {
            if (p.waitFor(OOM_CHILD_SECONDS, TimeUnit.SECONDS)) {
                rc = p.exitValue();
            } else {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                rc = -1;
                missed.add(name + ": the out-of-memory child hung (no exit in " + OOM_CHILD_SECONDS + " s); stopped");
            }
            out = Files.readString(log);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            throw e;
        } finally {
            Files.deleteIfExists(log);
        }
        String last = out.lines().filter(l -> l.startsWith("oom:")).reduce((a, c) -> c).orElse("oom: no report");
        String under = oomLimitKiB > 0 ? "under ulimit -v " + oomLimitKiB / 1024 + " MiB" : "without a ulimit";
        System.out.printf(Locale.ROOT, "%s (child %s, exit %d, %.1f s)%n", last, under, rc, seconds(t0));
        if (rc != 0 && rc != -1) { // -1: hung, counted above
            missed.add(name + ": out of memory " + under + " was not recovered (child exit " + rc
                    + "); its output ends:\n" + out.lines().skip(Math.max(0, out.lines().count() - 8))
                    .reduce("", (a, c) -> a + "    " + c + "\n"));
        }
    }

    /** The child: allocate and fill 256 MiB tensors until the backend says it is out of memory. */
    private static int oomChild(String name) {
        try (Backend b = Engine.open(name)) {
            List<Tensor> held = new ArrayList<>();
            int cap = 1024; // 256 GiB: more than any device or limit this runs under
            String why = "no limit reached after " + cap + " tensors";
            try {
                for (int i = 0; i < cap; i++) {
                    held.add(b.full(Shape.of(64L << 20), 1f));
                    b.synchronize();
                }
            } catch (DeviceOutOfMemoryException e) {
                why = "DeviceOutOfMemoryException after " + held.size() + " tensors of 256 MiB: " + e.getMessage();
            }
            held.forEach(Tensor::close);
            try (Tensor x = b.full(Shape.of(1024), 3f); Tensor y = b.add(x, x)) {
                float v = y.toArray()[1023];
                if (v != 6f) {
                    System.out.println("oom: after freeing, 3 + 3 = " + v);
                    return 3;
                }
            }
            System.out.println("oom: " + why + "; freed, and the backend computes again");
            return why.startsWith("Device") ? 0 : 2;
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Resident set size and the backend's allocated bytes: baseline, peak, latest. */
    private static final class Memory {
        private final Backend b;
        long baselineRss;
        long peakRss;
        long lastRss;
        long baselineDevice;
        long peakDevice;
        long lastDevice;

        Memory(Backend b) {
            this.b = b;
            baseline();
        }

        void baseline() {
            baselineRss = rss();
            peakRss = lastRss = baselineRss;
            baselineDevice = b.allocatedBytes();
            peakDevice = lastDevice = baselineDevice;
        }

        void sample() {
            lastRss = rss();
            peakRss = Math.max(peakRss, lastRss);
            lastDevice = b.allocatedBytes();
            peakDevice = Math.max(peakDevice, lastDevice);
        }

        double growth() {
            return (double) (lastRss - baselineRss) / baselineRss;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "RSS baseline %d MiB, peak %d MiB, end %d MiB; %s memory baseline %d MiB, peak %d MiB, end %d MiB",
                    baselineRss / MIB, peakRss / MIB, lastRss / MIB, b.name(), baselineDevice / MIB, peakDevice / MIB, lastDevice / MIB);
        }

        static long rss() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // fall through
            }
            return 0;
        }
    }
}
