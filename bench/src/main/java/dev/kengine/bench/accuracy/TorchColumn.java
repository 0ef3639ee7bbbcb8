package dev.kengine.bench.accuracy;

import dev.kengine.bench.accuracy.AccuracyCase.Input;
import dev.kengine.bench.accuracy.AccuracyCase.Output;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The PyTorch column: writes every case's float32 inputs as little-endian raw files with a
 * manifest to a temporary directory, runs {@code scripts/accuracy-torch.py} there, and reads back
 * PyTorch's float32 outputs. Where Python, the script or torch is missing, {@link #run} returns
 * the reason instead of results: the table then says PyTorch is not present and runs on.
 */
public final class TorchColumn {
    /** The exit status with which the script says torch cannot be imported. */
    static final int NOT_PRESENT = 3;

    private final String python;
    private final Path script;
    private final long timeoutSeconds;

    /**
     * A column run by this Python on this script.
     *
     * @param python the interpreter (a path or a name on the PATH)
     * @param script the script, {@code scripts/accuracy-torch.py}; null when it was not found
     * @param timeoutSeconds how long the script may run
     */
    public TorchColumn(String python, Path script, long timeoutSeconds) {
        this.python = python;
        this.script = script;
        this.timeoutSeconds = timeoutSeconds;
    }

    /**
     * PyTorch's results, or why there are none.
     *
     * @param version torch's version; null when not present
     * @param notPresent why there is no column; null when it ran
     * @param values per case name, its outputs by name (a case the script failed on is absent)
     * @param errors per case name, the script's error for it
     */
    public record Results(String version, String notPresent, Map<String, Map<String, float[]>> values, Map<String, String> errors) {
        static Results absent(String why) {
            return new Results(null, why, Map.of(), Map.of());
        }
    }

    /**
     * The script: the given path, else {@code scripts/accuracy-torch.py} in the repository ({@code kengine.home}, set by
     * {@code ./engine}), the working directory or its parent (a module's tests run in the module's directory).
     *
     * @param given a path from the command line, or null
     * @return the script, or null where none exists
     */
    public static Path findScript(String given) {
        List<Path> candidates = given != null ? List.of(Path.of(given))
                : List.of(dev.kengine.bench.report.Compare.home().resolve("scripts/accuracy-torch.py"),
                        Path.of("scripts", "accuracy-torch.py"), Path.of("..", "scripts", "accuracy-torch.py"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        return null;
    }

    /**
     * Runs the cases in PyTorch.
     *
     * @param cases the cases
     * @return the outputs, or the reason PyTorch is not present
     */
    public Results run(List<AccuracyCase> cases) {
        if (script == null) {
            return Results.absent("scripts/accuracy-torch.py not found (run from the repository root or pass --torch-script)");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("kengine-accuracy-");
            Map<String, AccuracyCase> byId = writeInputs(dir, cases);
            Path log = dir.resolve("python.log");
            Process p;
            try {
                p = new ProcessBuilder(python, script.toString(), dir.toString())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                return Results.absent("python '" + python + "' cannot be started: " + e.getMessage());
            }
            boolean done;
            try {
                done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // gone before its folder is removed
                throw e;
            }
            if (!done) {
                // Stopped, and waited for, before the folder it writes into is removed.
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return Results.absent("the PyTorch script ran past " + timeoutSeconds + " s");
            }
            String output = Files.readString(log, StandardCharsets.UTF_8).strip();
            if (p.exitValue() == NOT_PRESENT) {
                return Results.absent(lastLine(output));
            }
            if (p.exitValue() != 0) {
                return Results.absent("the PyTorch script failed (exit " + p.exitValue() + "): " + lastLine(output));
            }
            return readOutputs(dir, byId);
        } catch (IOException e) {
            return Results.absent("the PyTorch column could not be made: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Results.absent("interrupted");
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    private static String lastLine(String s) {
        String[] lines = s.split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    /** Writes the inputs (an array shared by cases once) and the manifest; returns the cases by id. */
    static Map<String, AccuracyCase> writeInputs(Path dir, List<AccuracyCase> cases) throws IOException {
        Map<Object, String> files = new IdentityHashMap<>();
        Map<String, AccuracyCase> byId = new HashMap<>();
        StringBuilder json = new StringBuilder("{\"cases\": [\n");
        for (int c = 0; c < cases.size(); c++) {
            AccuracyCase ac = cases.get(c);
            String id = String.format(Locale.ROOT, "c%03d", c);
            byId.put(id, ac);
            json.append(c == 0 ? "" : ",\n").append("{\"id\": ").append(quote(id)).append(", \"name\": ").append(quote(ac.name()))
                    .append(", \"op\": ").append(quote(ac.torchOp())).append(", \"params\": {");
            int k = 0;
            for (Map.Entry<String, Object> e : ac.params().entrySet()) {
                json.append(k++ == 0 ? "" : ", ").append(quote(e.getKey())).append(": ").append(value(e.getValue()));
            }
            json.append("}, \"inputs\": [");
            for (int i = 0; i < ac.inputs().size(); i++) {
                Input in = ac.inputs().get(i);
                Object data = in.values() != null ? in.values() : in.ints();
                String file = files.get(data);
                if (file == null) {
                    file = "in" + files.size() + (in.values() != null ? ".f32" : ".i32");
                    files.put(data, file);
                    write(dir.resolve(file), in);
                }
                json.append(i == 0 ? "" : ", ").append("{\"name\": ").append(quote(in.name())).append(", \"file\": ").append(quote(file))
                        .append(", \"dtype\": ").append(quote(in.values() != null ? "f32" : "i32")).append(", \"dims\": [");
                for (int d = 0; d < in.dims().length; d++) {
                    json.append(d == 0 ? "" : ", ").append(in.dims()[d]);
                }
                json.append("]}");
            }
            json.append("], \"outputs\": [");
            for (int o = 0; o < ac.outputs().size(); o++) {
                json.append(o == 0 ? "" : ", ").append(quote(ac.outputs().get(o).name()));
            }
            json.append("]}");
        }
        json.append("\n]}\n");
        Files.writeString(dir.resolve("manifest.json"), json, StandardCharsets.UTF_8);
        return byId;
    }

    private static void write(Path file, Input in) throws IOException {
        int n = in.values() != null ? in.values().length : in.ints().length;
        ByteBuffer buf = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        if (in.values() != null) {
            buf.asFloatBuffer().put(in.values());
        } else {
            buf.asIntBuffer().put(in.ints());
        }
        Files.write(file, buf.array());
    }

    static Results readOutputs(Path dir, Map<String, AccuracyCase> byId) throws IOException {
        Path status = dir.resolve("status.tsv");
        if (!Files.isRegularFile(status)) {
            return Results.absent("the PyTorch script wrote no status.tsv");
        }
        String version = null;
        Map<String, Map<String, float[]>> values = new HashMap<>();
        Map<String, String> errors = new HashMap<>();
        for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length >= 2 && f[0].equals("torch")) {
                version = f[1];
                continue;
            }
            AccuracyCase ac = f.length >= 2 ? byId.get(f[0]) : null;
            if (ac == null) {
                continue;
            }
            if (!f[1].equals("ok")) {
                errors.put(ac.name(), f.length > 2 ? f[2] : "error");
                continue;
            }
            Map<String, float[]> outs = new HashMap<>();
            for (Output o : ac.outputs()) {
                byte[] bytes = Files.readAllBytes(dir.resolve(f[0] + "." + o.name() + ".out.f32"));
                float[] v = new float[bytes.length / 4];
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                outs.put(o.name(), v);
            }
            values.put(ac.name(), outs);
        }
        return new Results(version, null, values, errors);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (ch < 0x20 || ch > 0x7e) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A parameter as JSON: doubles in Java's shortest round-tripping form, which Python reads back exactly. */
    private static String value(Object v) {
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        if (v instanceof Double d) {
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("parameter not finite: " + d);
            }
            return Double.toString(d);
        }
        return quote(String.valueOf(v));
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }

    /**
     * The interpreter to use by default: {@code /usr/bin/python3} where it exists (the system
     * Python, where distributions install torch), else {@code python3} on the PATH.
     *
     * @return the interpreter
     */
    public static String defaultPython() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }
}
