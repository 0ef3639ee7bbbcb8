package dev.kengine.conformance.certify;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command's options, parsed and checked.
 *
 * @param backend the backend to certify; null for the available backend of highest rank
 * @param backendOptions its options, in the order given
 * @param reference the backend random numbers are compared with, bit for bit
 * @param referenceOptions its options
 * @param referenceGiven whether {@code --reference} was given (an unknown one is then an error)
 * @param classpath jars and directories to add, each an existing file or a {@code dir/*} wildcard
 * @param html the directory for the HTML certificate; null for none
 * @param json whether standard output gets JSON rather than text
 * @param help whether the usage was asked for
 */
record Options(String backend, Map<String, String> backendOptions, String reference, Map<String, String> referenceOptions,
               boolean referenceGiven, List<String> classpath, Path html, boolean json, boolean help) {

    static final String USAGE = """
            usage: ./engine conformance [--backend NAME[:KEY=VALUE,...]] [--classpath JARS] [--html DIR] [--format text|json]
              Runs the conformance kit against a backend on the class path, with no test class to write, and prints
              its certificate: per op passed, failed or unsupported (with the backend's reason), the tolerance
              applied and the worst error against it; random numbers bit for bit; backend, device, driver, kit.
              --backend NAME[:OPTIONS]    the backend to certify and its options, such as cpu:simd=false,threads=2
                                          (default: the available backend of highest rank)
              --classpath JARS            jars or directories to add, separated by '%s' (DIR/* for every jar in DIR),
                                          such as a third party's backend that lists its BackendProvider
              --reference NAME[:OPTIONS]  the backend dropout masks and initial values are compared with bit for bit
                                          (default: cpu; skipped where it is the backend under test)
              --html DIR                  also write DIR/index.html and DIR/certificate.json
              --format text|json          the certificate on standard output as text (default) or JSON
            Exit status: 0 when nothing failed, 1 when a check failed, 2 when the command could not run (a bad
            option, an unknown or unavailable backend).
            """.formatted(File.pathSeparator);

    /** A command line the command cannot run: the message is one line for standard error. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static Options parse(String[] args) throws UsageException {
        String backend = null;
        Map<String, String> backendOptions = Map.of();
        String reference = "cpu";
        Map<String, String> referenceOptions = Map.of();
        boolean referenceGiven = false;
        List<String> classpath = new ArrayList<>();
        Path html = null;
        boolean json = false;
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h", "help" -> help = true;
                case "--backend", "--reference", "--classpath", "--html", "--format" -> {
                    if (value == null) {
                        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                            throw new UsageException(name + " needs a value");
                        }
                        value = args[++i];
                    }
                    if (value.isBlank()) {
                        throw new UsageException(name + " needs a value");
                    }
                    switch (name) {
                        case "--backend" -> {
                            backend = backendName(name, value);
                            backendOptions = backendOptions(name, value);
                        }
                        case "--reference" -> {
                            reference = backendName(name, value);
                            referenceOptions = backendOptions(name, value);
                            referenceGiven = true;
                        }
                        case "--classpath" -> {
                            for (String entry : value.split(File.pathSeparator)) {
                                if (!entry.isBlank()) {
                                    classpath.add(checkedEntry(entry));
                                }
                            }
                        }
                        case "--html" -> {
                            html = Path.of(value);
                            // Made and checked writable before the kit runs (ConformanceCommand), not while parsing.
                            if (Files.exists(html) && !Files.isDirectory(html)) {
                                throw new UsageException("--html " + value + ": not a directory");
                            }
                        }
                        default -> {
                            String f = value.toLowerCase(Locale.ROOT);
                            if (!f.equals("json") && !f.equals("text")) {
                                throw new UsageException("--format takes text or json, not '" + value + "'");
                            }
                            json = f.equals("json");
                        }
                    }
                }
                default -> throw new UsageException("unknown option '" + arg + "' (--help lists the options)");
            }
        }
        return new Options(backend, backendOptions, reference, referenceOptions, referenceGiven, List.copyOf(classpath), html,
                json, help);
    }

    /**
     * Why {@code dir} cannot become the certificate's folder, or null when it can: the folder is made now (so that a
     * bad --html fails before the kit runs, not after) and must be writable.
     */
    static String unwritable(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException | RuntimeException e) {
            return "cannot make the folder (" + e + ")";
        }
        return Files.isWritable(dir) ? null : "the folder is not writable";
    }

    private static String backendName(String option, String spec) throws UsageException {
        int colon = spec.indexOf(':');
        String name = (colon < 0 ? spec : spec.substring(0, colon)).trim();
        if (name.isEmpty()) {
            throw new UsageException(option + " " + spec + ": no backend name before ':'");
        }
        return name.toLowerCase(Locale.ROOT);
    }

    /**
     * The options after {@code NAME:}: {@code KEY=VALUE} pairs separated by commas; a piece without
     * '=' continues the previous value, so that {@code without=PRELU,ADAM_STEP} keeps its list.
     */
    static Map<String, String> backendOptions(String option, String spec) throws UsageException {
        int colon = spec.indexOf(':');
        Map<String, String> options = new LinkedHashMap<>();
        if (colon < 0) {
            return options;
        }
        String rest = spec.substring(colon + 1);
        if (rest.isBlank()) {
            throw new UsageException(option + " " + spec + ": no KEY=VALUE after ':'");
        }
        String last = null;
        for (String piece : rest.split(",", -1)) {
            int eq = piece.indexOf('=');
            if (eq > 0) {
                last = piece.substring(0, eq).trim();
                options.put(last, piece.substring(eq + 1).trim());
            } else if (last != null && !piece.isBlank()) {
                options.put(last, options.get(last) + "," + piece.trim());
            } else {
                throw new UsageException(option + " " + spec + ": '" + piece + "' is not KEY=VALUE");
            }
        }
        return options;
    }

    private static String checkedEntry(String entry) throws UsageException {
        if (entry.endsWith("*")) {
            String dir = entry.substring(0, entry.length() - 1);
            Path d = Path.of(dir.isEmpty() ? "." : dir);
            if (!Files.isDirectory(d)) {
                throw new UsageException("--classpath " + entry + ": no such directory");
            }
            return entry;
        }
        if (!Files.exists(Path.of(entry))) {
            throw new UsageException("--classpath " + entry + ": no such file or directory");
        }
        return entry;
    }
}
