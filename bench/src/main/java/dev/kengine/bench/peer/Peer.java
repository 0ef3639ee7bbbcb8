package dev.kengine.bench.peer;

import dev.kengine.bench.report.Timing;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One peer process at one thread count (PyTorch through python3, or ND4J in a JVM of its own), spoken to through
 * {@link Protocol}. Started with the thread count in its environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
 * MKL_NUM_THREADS) and OMP_WAIT_POLICY=PASSIVE, so that its OpenMP threads sleep rather than spin between ops and
 * leave the cores to whatever runs next. A peer that cannot start, or says it is unavailable, is not present, with
 * the reason: {@link #unavailableReason()}. Its stderr goes to a log file beside the inputs.
 */
public final class Peer implements AutoCloseable {
    /** The longest a peer may take to say it is ready (ND4J loads its natives; python imports torch). */
    static final long HELLO_SECONDS = 120;

    private final String name;
    private final int threads;
    private final Process process;
    private final Writer toPeer;
    private final BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    private final Path log;
    private String version;
    private String reason;

    private static final Object EOF = new Object();

    private Peer(String name, int threads, Process process, Path log) {
        this.name = name;
        this.threads = threads;
        this.process = process;
        this.log = log;
        this.toPeer = process == null ? null : new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        if (process != null) {
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process went away: EOF below
                }
                lines.add(EOF);
            }, "peer-" + name + "-" + threads);
            reader.setDaemon(true);
            reader.start();
        }
    }

    /** The environment a peer runs with at {@code threads} threads. */
    public static Map<String, String> environment(int threads) {
        Map<String, String> env = new LinkedHashMap<>();
        String t = Integer.toString(threads);
        env.put("OMP_NUM_THREADS", t);
        env.put("OPENBLAS_NUM_THREADS", t);
        env.put("MKL_NUM_THREADS", t);
        env.put("OMP_WAIT_POLICY", "PASSIVE");
        return env;
    }

    /**
     * Starts {@code command} as the peer {@code name} at {@code threads} threads and waits for its first line. Never
     * throws: a peer that cannot start comes back not present, with the reason.
     */
    public static Peer start(String name, List<String> command, int threads, Path workDir) {
        Path log = workDir.resolve(name + "-" + threads + "t.log");
        Process p;
        try {
            Files.createDirectories(workDir);
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(environment(threads));
            pb.redirectError(log.toFile());
            p = pb.start();
        } catch (IOException | RuntimeException e) {
            Peer peer = new Peer(name, threads, null, log);
            peer.reason = "cannot run " + command.getFirst() + " (" + e.getMessage() + ")";
            return peer;
        }
        Peer peer = new Peer(name, threads, p, log);
        Protocol.Message hello;
        try {
            hello = peer.next(HELLO_SECONDS);
        } catch (IOException e) {
            peer.reason = e.getMessage();
            peer.close();
            return peer;
        }
        switch (hello.kind()) {
            case "ready" -> peer.version = hello.fields().getOrDefault("version", name);
            case "unavailable" -> {
                peer.reason = hello.fields().getOrDefault("reason", "it says it is unavailable");
                peer.close();
            }
            default -> {
                peer.reason = "it answered '" + hello.kind() + "' instead of ready";
                peer.close();
            }
        }
        return peer;
    }

    public String name() {
        return name;
    }

    public int threads() {
        return threads;
    }

    /** What was loaded (versions, threads), or null when not present. */
    public String version() {
        return version;
    }

    /** Null when the peer is running, else why it is not present. */
    public String unavailableReason() {
        return reason;
    }

    /** What a peer measured: the timing (median of its repetitions) and its output. */
    public record Result(Timing timing, float[] output) {}

    /**
     * Runs {@code task} (its inputs already written to {@code dir}) under {@code plan}; the peer writes its output to a
     * file in {@code dir}, read back here.
     *
     * @throws IOException when the peer fails, says the op failed, or does not answer in time
     */
    public Result run(PeerTask task, Path dir, Timing.Plan plan) throws IOException {
        if (reason != null) {
            throw new IOException(name + " is not present: " + reason);
        }
        Path out = dir.resolve(name + "-" + threads + "t-" + task.id() + ".out");
        Map<String, Object> req = new LinkedHashMap<>(task.request(dir));
        req.put("out", out.toString());
        req.put("warmup", plan.warmupSeconds());
        req.put("reps", plan.repetitions());
        req.put("minrep", plan.minRepetitionSeconds());
        req.put("maxs", plan.maxSeconds());
        try {
            toPeer.write(Protocol.format("run", req) + "\n");
            toPeer.flush();
        } catch (IOException e) {
            // Its end of the pipe is closed: it died; why is its exit status and its log's end, not "Broken pipe".
            reason = exitReason();
            throw new IOException(name + ": " + reason);
        }
        // A slow op gets its warm-up, at least 3 repetitions and each repetition's minimum: a generous bound.
        Protocol.Message reply = next(60 + 20 * Math.max(plan.maxSeconds(), plan.warmupSeconds()));
        if (!reply.kind().equals("ok") && !reply.kind().equals("error")) {
            // Not a reply to this request (a native library writing to standard output, say): its real reply may be
            // queued behind this line, and would be taken for the next request's. The peer is out of the run.
            process.destroyForcibly();
            reason = "it printed something else than the protocol: " + Protocol.abbreviate(reply.kind());
            throw new IOException(name + ": " + reason);
        }
        double[] seconds;
        try {
            seconds = Protocol.seconds(reply);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        int runs = Integer.parseInt(reply.need("runs"));
        float[] output = PeerTask.readFloats(out);
        Files.deleteIfExists(out);
        return new Result(Timing.of(seconds, runs), output);
    }

    /** The next line, parsed; an IOException when the peer exits, prints something else or is silent too long. */
    private Protocol.Message next(double seconds) throws IOException {
        Object line;
        try {
            line = lines.poll((long) (seconds * 1000), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + name);
        }
        if (line == null) {
            process.destroyForcibly();
            reason = "no answer within " + (long) seconds + " s";
            throw new IOException(name + ": " + reason);
        }
        if (line == EOF) {
            String why = exitReason();
            reason = why;
            throw new IOException(why);
        }
        try {
            return Protocol.parse((String) line);
        } catch (IllegalArgumentException e) {
            // Its replies can no longer be matched to the requests (the real one may still be queued behind this line):
            // the peer is out of the rest of the run, not trusted with the next row.
            process.destroyForcibly();
            reason = "it printed something else than the protocol: " + e.getMessage();
            throw new IOException(name + ": " + reason);
        }
    }

    /** Why the process ended: its exit status and the last lines of its stderr. */
    private String exitReason() {
        int status;
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            status = process.isAlive() ? -1 : process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
        }
        String tail = "";
        try {
            List<String> l = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = new ArrayList<>();
            for (int i = l.size() - 1; i >= 0 && last.size() < 2; i--) {
                if (!l.get(i).isBlank()) {
                    last.addFirst(l.get(i).strip());
                }
            }
            tail = last.isEmpty() ? "" : ": " + Protocol.abbreviate(String.join(" / ", last));
        } catch (IOException | RuntimeException e) {
            // no log
        }
        return "it exited with status " + status + tail;
    }

    @Override
    public void close() {
        if (process == null) {
            return;
        }
        try {
            if (process.isAlive()) {
                toPeer.write("quit\n");
                toPeer.flush();
            }
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return name + "(" + threads + "t)";
    }
}
