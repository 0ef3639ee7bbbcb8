package dev.kengine.bench.anchor;

import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.report.Timing;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * CLBlast's SGEMM on the first OpenCL device (the one the opencl backend uses unless
 * {@code KENGINE_OPENCL_PLATFORM} says otherwise), through a small C harness
 * ({@code src/main/c/clblast_sgemm.c}) that this class compiles with gcc on first use and keeps
 * running for the whole report, so CLBlast compiles its kernels once per shape. The first call of
 * each shape (about 20 s of kernel compilation on PoCL) is reported separately and excluded from
 * the timing.
 */
public final class ClBlastAnchor implements Anchor {
    private static final String SOURCE = "c/clblast_sgemm.c";
    private final Path work;
    private String reason;
    private String implementation = "CLBlast (libclblast.so.1) through bench/src/main/c/clblast_sgemm.c";
    private Process process;
    private BufferedReader out;
    private Writer in;

    public ClBlastAnchor(Path work) {
        this.work = work;
        try {
            start();
        } catch (IOException | RuntimeException e) {
            reason = e.getMessage();
            stop();
        }
    }

    private void start() throws IOException {
        if (!Files.exists(Path.of("/usr/include/clblast_c.h")) && !Files.exists(Path.of("/usr/local/include/clblast_c.h"))) {
            throw new IOException("CLBlast headers not found (install libclblast-dev: scripts/install-bench.sh)");
        }
        Path exe = CHarness.build(SOURCE, work, List.of("-lclblast", "-lOpenCL"));
        process = new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String first = readLine(START_SECONDS);
        if (first == null) {
            throw new IOException("the CLBlast harness exited at start (exit " + waitExit() + ")");
        }
        if (first.startsWith("error ")) {
            throw new IOException(first.substring(6));
        }
        implementation = "CLBlast (libclblast.so.1) on " + first.substring("device ".length());
    }

    /** How long the harness may take to open its device, and an sgemm call beyond its own measuring. */
    static final long START_SECONDS = 120;
    static final long CALL_SECONDS = 300;

    /** A daemon thread reads the harness's replies, so that a reply can be awaited for a limited time. */
    private final java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kengine-clblast-reader");
        t.setDaemon(true);
        return t;
    });

    /** The harness's next line, null at its end; after {@code seconds} without one the harness is killed. */
    private String readLine(long seconds) throws IOException {
        java.util.concurrent.Future<String> f = reader.submit(out::readLine);
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            reason = "the CLBlast harness gave no answer in " + seconds + " s and was stopped";
            throw new IOException(reason);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the CLBlast harness");
        }
    }

    private int waitExit() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public String name() {
        return "clblast";
    }

    @Override
    public String unavailableReason() {
        return reason;
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public boolean threaded() {
        return false;
    }

    /** The last first-call time (kernel compilation included), in seconds. */
    public double lastFirstCallSeconds;

    @Override
    public Result sgemm(GemmShape s, float[] a, float[] b, int threads, Timing.Plan plan) {
        if (reason != null) {
            throw new IllegalStateException("CLBlast is not present: " + reason);
        }
        try {
            Path pa = work.resolve("a.bin");
            Path pb = work.resolve("b.bin");
            Path pc = work.resolve("c.bin");
            write(pa, a);
            write(pb, b);
            Files.deleteIfExists(pc);
            in.write(String.format(Locale.ROOT, "%d %d %d %d %d %.3f %s %s %s%n", s.m(), s.n(), s.k(), 2,
                    plan.repetitions(), plan.maxSeconds(), pa, pb, pc));
            in.flush();
            // A first call of a shape compiles CLBlast's kernels (about 20 s here); a harness silent far past that is
            // stuck in its driver and is stopped.
            String line = readLine(CALL_SECONDS + (long) Math.ceil(plan.maxSeconds() * 4));
            if (line == null) {
                throw new IllegalStateException("the CLBlast harness died (exit " + waitExit() + ")");
            }
            if (!line.startsWith("ok ")) {
                throw new IllegalStateException("CLBlast: " + line);
            }
            double[] v = Arrays.stream(line.substring(3).trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
            lastFirstCallSeconds = v[0];
            float[] c = read(pc, s.m() * s.n());
            return new Result(Timing.of(Arrays.copyOfRange(v, 1, v.length), 1), c);
        } catch (IOException e) {
            throw new IllegalStateException("CLBlast harness: " + e.getMessage(), e);
        }
    }

    private static void write(Path p, float[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.nativeOrder());
        buf.asFloatBuffer().put(data);
        Files.write(p, buf.array());
    }

    private static float[] read(Path p, int n) throws IOException {
        float[] f = new float[n];
        ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.nativeOrder()).asFloatBuffer().get(f);
        return f;
    }

    private void stop() {
        if (process != null) {
            process.destroyForcibly();
            process = null;
        }
    }

    @Override
    public void close() {
        try {
            if (in != null) {
                in.close();
            }
        } catch (IOException e) {
            // the harness exits on end of input; destroy it regardless
        }
        if (process != null) {
            waitExit();
        }
        stop();
        reader.shutdownNow();
        for (String f : new String[] {"a.bin", "b.bin", "c.bin"}) {
            try {
                Files.deleteIfExists(work.resolve(f));
            } catch (IOException e) {
                // left in the run's own folder, which goes with it
            }
        }
    }
}
