package dev.kengine.conformance.certify;

import dev.kengine.Backend;
import dev.kengine.BackendInfo;
import dev.kengine.Engine;
import dev.kengine.EngineException;
import dev.kengine.InvalidArgumentException;
import dev.kengine.op.Op;
import dev.kengine.spi.Capabilities;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * {@code ./engine conformance}: runs the conformance kit against any backend on the class path
 * (a third party's jar included, with {@code --classpath}) through the JUnit Platform launcher, with
 * no test class to write, and prints a certificate: per op passed, failed or unsupported with the
 * backend's reason, the tolerance applied and the worst error observed against it; the random
 * numbers bit for bit; the backend, its device and driver, and the kit's version. {@code --format json}
 * prints the same as JSON, {@code --html DIR} also writes it as a web page.
 *
 * <p>Exit status: 0 when nothing failed, 1 when a check failed, 2 when the command could not run (a
 * bad option, an unknown or unavailable backend), with one line on standard error.
 */
public final class ConformanceCommand {
    private static final Op[] RANDOM_OPS = {Op.DROPOUT, Op.INIT_UNIFORM, Op.INIT_NORMAL};

    private ConformanceCommand() {}

    /**
     * Runs the command and exits the JVM with its status.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /**
     * Runs the command in this JVM, for tests and embedding: the certificate goes to {@code out},
     * progress and errors to {@code err}. While the kit runs, what it prints to {@link System#out}
     * goes to {@code err} too, so that {@code out} holds the certificate alone.
     *
     * @param args the options; {@code --help} lists them
     * @param out where the certificate (or the usage) goes
     * @param err where progress and the one-line errors go
     * @return 0 when nothing failed, 1 when a check failed, 2 when the command could not run
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return execute(args, out, err, false);
    }

    private static int execute(String[] args, PrintStream out, PrintStream err, boolean isolated) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (Options.UsageException e) {
            err.println("conformance: " + e.getMessage());
            return 2;
        }
        if (o.help()) {
            out.print(Options.USAGE);
            return 0;
        }
        if (!o.classpath().isEmpty() && !isolated) {
            return isolate(o, args, out, err);
        }
        // Every backend the kit opens would log a line: the certificate says which backend ran.
        Logger engineLog = Logger.getLogger(Engine.class.getName());
        Level level = engineLog.getLevel();
        engineLog.setLevel(Level.WARNING);
        try {
            return certify(o, out, err);
        } finally {
            engineLog.setLevel(level);
        }
    }

    private static int certify(Options o, PrintStream out, PrintStream err) {
        List<BackendInfo> infos = Engine.explain();
        String name = o.backend();
        if (name == null) {
            BackendInfo best = infos.stream().filter(BackendInfo::available).findFirst().orElse(null);
            if (best == null) {
                err.println("conformance: no backend is available here; " + known(infos));
                return 2;
            }
            name = best.name();
        }
        BackendInfo info = find(infos, name);
        if (info == null) {
            err.println("conformance: unknown backend '" + name + "'; " + known(infos));
            return 2;
        }
        if (!info.available()) {
            err.println("conformance: backend '" + name + "' is unavailable here: " + Render.oneLine(info.reason()));
            return 2;
        }
        Capabilities caps;
        try (Backend b = Engine.open(name, o.backendOptions())) {
            caps = b.capabilities();
        } catch (InvalidArgumentException e) {
            err.println("conformance: backend '" + name + "' rejected its options: " + Render.oneLine(e.getMessage()));
            return 2;
        } catch (EngineException e) {
            err.println("conformance: backend '" + name + "' failed to open: " + Render.oneLine(String.valueOf(e.getMessage())));
            return 2;
        }

        String reference = o.reference();
        String referenceNote = "";
        BackendInfo ref = find(infos, reference);
        if (o.referenceGiven() && ref == null) {
            err.println("conformance: unknown reference backend '" + reference + "'; " + known(infos));
            return 2;
        }
        if (o.referenceGiven() && ref.available()) {
            // Its options are checked now, not when the random-number section opens it minutes later.
            try (Backend b = Engine.open(ref.name(), o.referenceOptions())) {
                b.capabilities();
            } catch (InvalidArgumentException e) {
                err.println("conformance: reference backend '" + reference + "' rejected its options: "
                        + Render.oneLine(e.getMessage()));
                return 2;
            } catch (EngineException e) {
                err.println("conformance: reference backend '" + reference + "' failed to open: "
                        + Render.oneLine(String.valueOf(e.getMessage())));
                return 2;
            }
        }
        if (o.html() != null) {
            String problem = Options.unwritable(o.html());
            if (problem != null) {
                err.println("conformance: --html " + o.html() + ": " + problem);
                return 2;
            }
        }
        List<String> randomOps = new ArrayList<>();
        for (Op op : RANDOM_OPS) {
            if (caps.supports(op)) {
                randomOps.add(op.name());
            }
        }
        if (reference.equalsIgnoreCase(name) && o.referenceOptions().equals(o.backendOptions())) {
            referenceNote = "the backend under test is the reference (" + reference + "); the kit's own sections check its "
                    + "random numbers against the specification and the golden files";
            reference = null;
        } else if (randomOps.isEmpty()) {
            referenceNote = name + " implements none of DROPOUT, INIT_UNIFORM and INIT_NORMAL";
            reference = null;
        } else if (ref == null) {
            referenceNote = "the reference backend '" + reference + "' is not on the class path";
            reference = null;
        } else if (!ref.available()) {
            referenceNote = "the reference backend '" + reference + "' is unavailable here: " + Render.oneLine(ref.reason());
            reference = null;
        } else if (!o.referenceOptions().isEmpty()) {
            referenceNote = "options: " + Render.options(o.referenceOptions());
        }

        KitRun.Target target = new KitRun.Target(name, o.backendOptions(), reference, o.referenceOptions());
        String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        err.println("conformance: running the kit on " + name + " (" + caps.deviceName() + ")"
                + (reference != null ? ", random numbers against " + reference : "") + "...");
        long t0 = System.nanoTime();
        PrintStream stdout = System.out;
        List<KitListener.Check> checks;
        System.setOut(err); // the kit prints the fuzzer's summary; the certificate owns standard output
        try {
            try {
                checks = KitRun.run(target, err);
            } catch (NoClassDefFoundError e) {
                err.println("conformance: the JUnit Platform launcher is not on the path (" + e.getMessage() + "); put "
                        + "junit-platform-launcher and junit-jupiter-engine there, and on the module path add "
                        + "--add-modules org.junit.platform.launcher");
                return 2;
            }
        } finally {
            System.setOut(stdout);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Certificate.Header header = new Certificate.Header(kitVersion(), name, o.backendOptions(), caps, reference, referenceNote,
                started, seconds);
        Certificate certificate = Certificate.build(header, checks);

        out.print(o.json() ? Render.json(certificate) : Render.text(certificate));
        out.flush();
        if (o.html() != null) {
            try {
                Files.createDirectories(o.html());
                Files.writeString(o.html().resolve("index.html"), Render.html(certificate), StandardCharsets.UTF_8);
                Files.writeString(o.html().resolve("certificate.json"), Render.json(certificate), StandardCharsets.UTF_8);
                err.println("conformance: certificate written to " + o.html().resolve("index.html"));
            } catch (IOException e) {
                // Checked before the run; the folder went away or filled up since. The verdict still decides a
                // failed run's code.
                err.println("conformance: could not write the HTML certificate to " + o.html() + ": " + e.getMessage());
                return certificate.nothingFailed() ? 2 : 1;
            }
        }
        return certificate.nothingFailed() ? 0 : 1;
    }

    private static BackendInfo find(List<BackendInfo> infos, String name) {
        return infos.stream().filter(i -> i.name().equalsIgnoreCase(name)).findFirst().orElse(null);
    }

    private static String known(List<BackendInfo> infos) {
        String available = infos.stream().filter(BackendInfo::available).map(BackendInfo::name).collect(Collectors.joining(", "));
        String unavailable = infos.stream().filter(i -> !i.available()).map(BackendInfo::name).collect(Collectors.joining(", "));
        return "available backends: " + (available.isEmpty() ? "none" : available)
                + (unavailable.isEmpty() ? "" : "; unavailable here: " + unavailable + " (./engine explain says why)")
                + (infos.isEmpty() ? " (is a backend jar on the class path? --classpath adds one)" : "");
    }

    /** The kit's version, from the jar the build filtered it into. */
    static String kitVersion() {
        try (InputStream in = ConformanceCommand.class.getResourceAsStream("kit.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the command again in a class loader that sees this JVM's class path and the extra jars, so
     * that {@link java.util.ServiceLoader} finds the backends they provide.
     */
    private static int isolate(Options o, String[] args, PrintStream out, PrintStream err) {
        List<URL> urls = new ArrayList<>();
        try {
            for (String entry : o.classpath()) {
                addEntry(urls, entry);
            }
            for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    addEntry(urls, entry);
                }
            }
            for (String entry : System.getProperty("jdk.module.path", "").split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    // A module path entry is a jar, an exploded module, or a directory of jars.
                    addEntry(urls, entry);
                    if (Files.isDirectory(Path.of(entry))) {
                        addEntry(urls, entry + File.separator + "*");
                    }
                }
            }
        } catch (IOException e) {
            err.println("conformance: --classpath: " + e.getMessage());
            return 2;
        }
        URLClassLoader loader = new URLClassLoader("kengine-conformance", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
        Thread thread = Thread.currentThread();
        ClassLoader context = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            Class<?> command = Class.forName(ConformanceCommand.class.getName(), true, loader);
            Method execute = command.getDeclaredMethod("execute", String[].class, PrintStream.class, PrintStream.class, boolean.class);
            execute.setAccessible(true);
            return (Integer) execute.invoke(null, args, out, err, true);
        } catch (InvocationTargetException e) {
            Throwable cause = Objects.requireNonNullElse(e.getCause(), e);
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the conformance command could not load itself with --classpath: " + e, e);
        } finally {
            thread.setContextClassLoader(context);
            // The loader stays open: threads a backend started may still load classes from it.
        }
    }

    private static void addEntry(List<URL> urls, String entry) throws IOException {
        if (entry.endsWith("*")) {
            Path dir = Path.of(entry.substring(0, entry.length() - 1).isEmpty() ? "." : entry.substring(0, entry.length() - 1));
            List<Path> jars = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.{jar,JAR}")) {
                s.forEach(jars::add);
            }
            jars.sort(null);
            for (Path jar : jars) {
                urls.add(url(jar));
            }
            return;
        }
        urls.add(url(Path.of(entry)));
    }

    private static URL url(Path p) throws MalformedURLException {
        return p.toAbsolutePath().normalize().toUri().toURL();
    }

}
