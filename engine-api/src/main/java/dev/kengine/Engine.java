package dev.kengine;

import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import dev.kengine.spi.Capabilities;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Finds backends and opens them. Backends are discovered with {@link ServiceLoader}; discovery
 * never throws: a backend that cannot run here is listed with the reason.
 *
 * <p>Choosing: {@link #open(String)} by name; {@link #open()} takes the name from the system
 * property {@value #BACKEND_PROPERTY} or the environment variable {@value #BACKEND_ENV}, and
 * otherwise the available backend of highest rank. Backend options come from an explicit map and
 * from system properties {@code kengine.<backend>.<option>} (for example
 * {@code -Dkengine.cpu.threads=2}); the map wins.
 */
public final class Engine {
    /** The system property naming the backend {@link #open()} opens: {@value}. */
    public static final String BACKEND_PROPERTY = "kengine.backend";
    /** The environment variable naming the backend {@link #open()} opens when the property is unset: {@value}. */
    public static final String BACKEND_ENV = "KENGINE_BACKEND";
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());

    private Engine() {}

    /**
     * Prints {@link #describe()}: every backend, whether it is available and why not, with its capabilities.
     * With {@code --help}, {@code -h} or {@code help} prints the usage instead; any other argument is one line on
     * standard error and exits the JVM with status 2.
     *
     * @param args none, or one of {@code --help}, {@code -h}, {@code help}
     */
    public static void main(String[] args) {
        if (args.length > 0) {
            if (!(args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
                System.err.println("explain: unexpected argument '" + args[0] + "' (./engine explain --help)");
                System.exit(2);
            }
            System.out.println("usage: ./engine explain");
            System.out.println("  Lists every backend on the class path, best first: whether it is available and, if not, why;");
            System.out.println("  its device, memory, compute units, dtypes and the ops it supports.");
            return;
        }
        System.out.print(describe());
    }

    /**
     * Every backend on the class path, best rank first, each with its availability. Probes every
     * provider (which may load native libraries) but opens none; never throws: a provider that fails
     * to load or to probe is listed as unavailable with the error. Safe from any thread.
     *
     * @return a new list, available backends first, each group by descending rank
     */
    public static List<BackendInfo> explain() {
        List<BackendInfo> out = new ArrayList<>();
        for (BackendProvider p : providers(out)) {
            out.add(probe(p));
        }
        out.sort(Comparator.comparing(BackendInfo::available).reversed()
                .thenComparing(Comparator.comparingInt(BackendInfo::rank).reversed()));
        return out;
    }

    /**
     * The names of the backends on the class path, in the order their providers load, without probing any (no native
     * library is loaded): for checking a name a user typed before {@link #open(String)} is asked to open it. A
     * provider that fails to load is left out ({@link #explain()} lists it with the error). Safe from any thread.
     *
     * @return a new list of lower-case names
     */
    public static List<String> backendNames() {
        List<String> names = new ArrayList<>();
        for (BackendProvider p : providers(new ArrayList<>())) {
            try {
                names.add(p.name());
            } catch (RuntimeException | LinkageError e) {
                // listed by explain() as failed
            }
        }
        return names;
    }

    /**
     * Opens the backend named by property or environment variable, else the best available one.
     *
     * @return the opened backend; the caller closes it
     * @throws BackendUnavailableException when the named backend does not exist or cannot run here, or
     *     when no backend is available (the message lists every backend and why)
     * @throws InvalidArgumentException when an option taken from the system properties is malformed
     * @throws DeviceException when the device fails while the backend opens
     */
    public static Backend open() {
        String chosen = System.getProperty(BACKEND_PROPERTY);
        if (chosen == null || chosen.isBlank()) {
            chosen = System.getenv(BACKEND_ENV);
        }
        if (chosen != null && !chosen.isBlank()) {
            return open(chosen.trim());
        }
        List<BackendInfo> infos = explain();
        Optional<BackendInfo> best = infos.stream().filter(BackendInfo::available).findFirst();
        if (best.isEmpty()) {
            throw new BackendUnavailableException("no backend is available:\n" + describe(infos));
        }
        return open(best.get().name());
    }

    /**
     * Opens the backend of this name with typed options ({@link BackendOption}), over those from
     * system properties.
     *
     * @param name the backend's name, such as {@code cpu}; case-insensitive; not null
     * @param settings options of that backend, each made by {@link BackendOption#is}; not null
     * @return the opened backend; the caller closes it
     * @throws InvalidArgumentException when {@code name} or a setting is null, or a setting belongs to another backend
     * @throws BackendUnavailableException when there is no such backend or it cannot run here (the message says why)
     * @throws DeviceException when the device fails while the backend opens
     */
    public static Backend open(String name, BackendOption.Setting... settings) {
        if (name == null) {
            throw new InvalidArgumentException("backend name is null");
        }
        return open(name, BackendOption.toMap(name.toLowerCase(Locale.ROOT), settings));
    }

    /**
     * Opens the backend of this name with options from system properties
     * ({@code kengine.<name>.<option>}).
     *
     * @param name the backend's name, such as {@code cpu}; case-insensitive; not null
     * @return the opened backend; the caller closes it
     * @throws BackendUnavailableException when there is no such backend or it cannot run here (the message says why)
     * @throws InvalidArgumentException when {@code name} is null or an option is malformed
     * @throws DeviceException when the device fails while the backend opens
     */
    public static Backend open(String name) {
        return open(name, Map.of());
    }

    /**
     * Opens the backend of this name. Options from system properties {@code kengine.<name>.<option>}
     * are applied first and {@code options} overrides them. A key in {@code options} that the backend
     * does not read is an error where its provider declares its options
     * ({@link BackendProvider#optionNames()}; every backend of this project does), so that a misspelt
     * option fails instead of being ignored; unknown keys from system properties are ignored. Safe
     * from any thread; each call opens a new, independent backend.
     *
     * @param name the backend's name, such as {@code cpu}; case-insensitive; not null
     * @param options backend-specific options, such as {@code threads=2} for {@code cpu}; not null
     * @return the opened backend; the caller closes it
     * @throws BackendUnavailableException when there is no such backend or it cannot run here (the message says why)
     * @throws InvalidArgumentException when {@code name} or {@code options} is null, an option is malformed, or
     *     {@code options} has a key the backend does not read (the message lists those it does)
     * @throws DeviceException when the device fails while the backend opens
     */
    public static Backend open(String name, Map<String, String> options) {
        if (name == null) {
            throw new InvalidArgumentException("backend name is null");
        }
        if (options == null) {
            throw new InvalidArgumentException("backend options are null");
        }
        String wanted = name.toLowerCase(Locale.ROOT);
        List<BackendInfo> broken = new ArrayList<>();
        List<BackendProvider> providers = providers(broken);
        for (BackendProvider p : providers) {
            if (!p.name().equals(wanted)) {
                continue;
            }
            checkOptionNames(p, options);
            Map<String, String> merged = new HashMap<>(propertyOptions(wanted));
            merged.putAll(options);
            // Probed with the options it will open with: the caller's win over a system property's.
            BackendInfo info = probe(p, options.isEmpty() ? null : merged);
            if (!info.available()) {
                throw new BackendUnavailableException("backend '" + wanted + "' is unavailable: " + info.reason());
            }
            BackendDriver driver;
            try {
                driver = p.open(merged);
            } catch (EngineException e) {
                throw e;
            } catch (RuntimeException | LinkageError e) {
                throw new BackendUnavailableException("backend '" + wanted + "' failed to open: " + e, e);
            }
            Backend backend = new Backend(driver);
            LOG.log(System.Logger.Level.INFO, "kengine: using backend ''{0}'' on {1}", wanted,
                    backend.capabilities().deviceName());
            return backend;
        }
        String known = providers.stream().map(BackendProvider::name).collect(Collectors.joining(", "));
        throw new BackendUnavailableException("no backend named '" + name + "'; known backends: "
                + (known.isEmpty() ? "none (is a backend jar on the class path or module path? a named module must declare"
                        + " provides dev.kengine.spi.BackendProvider)" : known));
    }

    /**
     * A readable report of {@link #explain()}: one block per backend.
     *
     * @return several lines: per backend its name, rank and availability and, where known, device,
     *     memory in MiB, compute units, dtypes, supported ops and details
     */
    public static String describe() {
        return describe(explain());
    }

    static String describe(List<BackendInfo> infos) {
        StringBuilder sb = new StringBuilder();
        if (infos.isEmpty()) {
            sb.append("no backends found on the class path or module path\n");
        }
        for (BackendInfo i : infos) {
            sb.append(String.format(Locale.ROOT, "%-8s rank %-4d %s%n", i.name(), i.rank(),
                    i.available() ? "available" : "unavailable: " + i.reason()));
            Capabilities c = i.capabilities();
            if (c != null) {
                sb.append("    device        ").append(c.deviceName()).append('\n');
                sb.append("    memory        ").append(c.memoryBytes() / (1024 * 1024)).append(" MiB\n");
                sb.append("    compute units ").append(c.computeUnits()).append('\n');
                sb.append("    dtypes        ").append(c.dtypes()).append('\n');
                for (dev.kengine.DType d : dev.kengine.DType.values()) {
                    if (d == dev.kengine.DType.FLOAT32 || !c.dtypes().contains(d)) {
                        continue;
                    }
                    List<String> ops = new ArrayList<>();
                    for (dev.kengine.op.Op op : dev.kengine.op.Op.values()) {
                        if (c.supports(op, d)) {
                            ops.add(op.name());
                        }
                    }
                    // The integer tensors some ops take in roles of their own (see Capabilities), where the op is there.
                    List<String> roles = new ArrayList<>();
                    if (d == dev.kengine.DType.INT32 && c.supports(dev.kengine.op.Op.SOFTMAX_CROSS_ENTROPY)) {
                        roles.add("labels of SOFTMAX_CROSS_ENTROPY");
                    }
                    if (d == dev.kengine.DType.INT32 && c.supports(dev.kengine.op.Op.ARGMAX)) {
                        roles.add("indices of ARGMAX");
                    }
                    if (d == dev.kengine.DType.UINT8 && c.supports(dev.kengine.op.Op.DROPOUT)) {
                        roles.add("masks of DROPOUT and DROPOUT_BACKWARD");
                    }
                    sb.append(String.format(Locale.ROOT, "    %-13s %d ops: %s%s%n", d, ops.size(), String.join(", ", ops),
                            roles.isEmpty() ? "" : "; and " + String.join(", ", roles)));
                }
                sb.append("    ops           ").append(c.supportedOps().size()).append(" of ")
                        .append(dev.kengine.op.Op.values().length);
                List<String> missing = new ArrayList<>();
                for (dev.kengine.op.Op op : dev.kengine.op.Op.values()) {
                    if (!c.supports(op)) {
                        missing.add(op.name());
                    }
                }
                sb.append(missing.isEmpty() ? " (all)" : " (missing " + String.join(", ", missing) + ")").append('\n');
                c.details().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "    %-13s %s%n", k, v)));
            }
        }
        return sb.toString();
    }

    private static List<BackendProvider> providers(List<BackendInfo> broken) {
        List<BackendProvider> list = new ArrayList<>();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, Engine.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                list.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                broken.add(new BackendInfo("?", Integer.MIN_VALUE, false, "provider failed to load: " + e, null));
            }
        }
        return list;
    }

    private static BackendInfo probe(BackendProvider p) {
        return probe(p, null);
    }

    /** Probes {@code p} with {@code options}, or with those of the system properties where null. */
    private static BackendInfo probe(BackendProvider p, Map<String, String> options) {
        String name;
        int rank;
        try {
            name = p.name();
            rank = p.rank();
        } catch (RuntimeException | LinkageError e) {
            return new BackendInfo(p.getClass().getName(), Integer.MIN_VALUE, false, "provider failed: " + e, null);
        }
        try {
            Availability a = options == null ? p.probe() : p.probe(java.util.Collections.unmodifiableMap(options));
            Capabilities c = a.capabilities();
            return new BackendInfo(name, rank, a.available(), a.reason(), c == null ? null : Backend.withHalfPrecision(c));
        } catch (InvalidArgumentException e) {
            if (options != null) {
                throw e; // the caller's malformed option (Engine.open), not an unavailable backend
            }
            return new BackendInfo(name, rank, false, "probe failed: " + e, null);
        } catch (RuntimeException | LinkageError e) {
            return new BackendInfo(name, rank, false, "probe failed: " + e, null);
        }
    }

    /** Rejects a key of the caller's options that p declares it does not read. */
    private static void checkOptionNames(BackendProvider p, Map<String, String> options) {
        Optional<Set<String>> declared;
        try {
            declared = p.optionNames();
        } catch (RuntimeException | LinkageError e) {
            return; // a provider that cannot say is not checked; open() reports what it can
        }
        if (declared == null || declared.isEmpty()) {
            return;
        }
        Set<String> known = declared.get();
        TreeSet<String> unknown = new TreeSet<>();
        for (String key : options.keySet()) {
            if (key == null || !known.contains(key)) {
                unknown.add("'" + key + "'");
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidArgumentException("backend '" + p.name() + "' has no option " + String.join(", ", unknown)
                    + "; its options: " + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))));
        }
    }

    private static Map<String, String> propertyOptions(String backend) {
        String prefix = "kengine." + backend + ".";
        Map<String, String> m = new HashMap<>();
        System.getProperties().forEach((k, v) -> {
            String key = String.valueOf(k);
            if (key.startsWith(prefix)) {
                m.put(key.substring(prefix.length()), String.valueOf(v));
            }
        });
        return m;
    }
}
